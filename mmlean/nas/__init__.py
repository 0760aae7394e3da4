"""Neural architecture search on mmrazor: binarized DARTS ops, networks, genotypes.

Configs load it with ``custom_imports=dict(imports=['mmlean.nas'])``.
"""
from .backbone import BinaryDartsBackbone
from .genotype import (BNAS_XNOR_1, GENOTYPES, PRIMITIVES, Genotype, GenotypeError,
                       dump_subnet_yaml, genotype_from_string, genotype_to_dict, genotype_to_string,
                       genotype_to_subnet, load_genotype, subnet_to_genotype, subnet_yaml,
                       validate_genotype)
from .head import DartsAuxClsHead
from .ops import BinaryDilConv, BinarySepConv, BinarySkipConnect
from .params import count_parameters
from .plot import plot_cell, plot_genotype

__all__ = [
    'BinaryDartsBackbone', 'DartsAuxClsHead', 'BinaryDilConv', 'BinarySepConv',
    'BinarySkipConnect', 'count_parameters', 'plot_cell', 'plot_genotype', 'BNAS_XNOR_1',
    'GENOTYPES', 'PRIMITIVES', 'Genotype', 'GenotypeError', 'dump_subnet_yaml',
    'genotype_from_string', 'genotype_to_dict', 'genotype_to_string', 'genotype_to_subnet',
    'load_genotype', 'subnet_to_genotype', 'subnet_yaml', 'validate_genotype'
]
