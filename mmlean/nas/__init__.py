"""Neural architecture search on mmrazor: binarized DARTS ops, networks, genotypes, and the
sample-evaluate-reduce machinery (reducible mutables, scorers, mutator, search loop) shared by
BNAS, CP-NAS, ABanditNAS and NAS-Count.

Configs load it with ``custom_imports=dict(imports=['mmlean.nas'])``.
"""
import mmlean.binary  # noqa: F401  (registers the binary convs the ops build by name)
from mmlean.compat import mmrazor_darts as _mmrazor_darts  # noqa: E402
from .algorithm import SampleReduceAlgorithmMixin
from .backbone import BinaryDartsBackbone
from .ddp import FirstOrderDartsDDP
from .genotype import (BNAS_XNOR_1, GENOTYPES, PRIMITIVES, Genotype, GenotypeError,
                       dump_subnet_yaml, genotype_from_string, genotype_to_dict, genotype_to_string,
                       genotype_to_subnet, load_genotype, subnet_to_genotype, subnet_yaml,
                       validate_genotype)
from .head import DartsAuxClsHead
from .loops import SampleReduceSearchLoop, search_schedule
from .mutables import ReducibleMutableOP, SearchSpaceError
from .mutators import SampleReduceMutator
from .ops import BinaryDilConv, BinarySepConv, BinarySkipConnect
from .params import count_parameters
from .plot import plot_cell, plot_genotype
from .reduction_plot import plot_reduction_history
from .robust_backbone import ABanditBackbone, SingleInputCell, cell_type_indices
from .robust_ops import (DenoisingBlock, DilatedConvBN, DotProductNonLocal, FullSepConv,
                         GaborFilter2d, gabor_kernel)
from .scorers import (AntiBanditScorer, BaseReductionScorer, ChildParentScorer,
                      PerformanceLikelihoodScorer, child_parent_indicator, softmax_over, ucb_bonus)

_mmrazor_darts.apply()

__all__ = [
    'BinaryDartsBackbone', 'DartsAuxClsHead', 'BinaryDilConv', 'BinarySepConv', 'BinarySkipConnect',
    'count_parameters', 'plot_cell', 'plot_genotype',
    'BNAS_XNOR_1', 'GENOTYPES', 'PRIMITIVES', 'Genotype', 'GenotypeError', 'dump_subnet_yaml',
    'genotype_from_string', 'genotype_to_dict', 'genotype_to_string', 'genotype_to_subnet',
    'load_genotype', 'subnet_to_genotype', 'subnet_yaml', 'validate_genotype',
    'FirstOrderDartsDDP', 'SampleReduceAlgorithmMixin', 'SampleReduceSearchLoop', 'search_schedule',
    'ReducibleMutableOP', 'SearchSpaceError', 'SampleReduceMutator', 'plot_reduction_history',
    'BaseReductionScorer', 'ChildParentScorer', 'PerformanceLikelihoodScorer',
    'child_parent_indicator', 'softmax_over', 'ucb_bonus', 'AntiBanditScorer', 'ABanditBackbone',
    'SingleInputCell', 'cell_type_indices', 'DenoisingBlock', 'DilatedConvBN',
    'DotProductNonLocal', 'FullSepConv', 'GaborFilter2d', 'gabor_kernel'
]
