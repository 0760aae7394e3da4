"""BNAS as an MMRazor algorithm: PC-DARTS warm-up plus performance-based space reduction."""
from typing import Dict, Optional, Union

from mmengine.model import BaseModel
from mmrazor.models.algorithms import Darts
from mmrazor.registry import MODELS

from mmlean.nas import SampleReduceAlgorithmMixin, SampleReduceMutator
from mmlean.utils.algorithm import classifier_defaults


@MODELS.register_module()
class BNAS(SampleReduceAlgorithmMixin, Darts):
    """`Binarized Neural Architecture Search <https://arxiv.org/abs/1911.10862>`_
    (Chen et al., AAAI 2020; IJCV extension arXiv 2009.04247).

    A DARTS supernet whose candidate convolutions are binarized (XNOR weights,
    W1A32, or weights and activations, W1A1), searched with PC-DARTS partial
    channels and edge normalization (first-order alternating updates, from
    mmrazor's :class:`Darts`) and reduced op by op with the performance-based
    strategy (:class:`~mmlean.nas.PerformanceLikelihoodScorer`, with the UCB
    term of the 1-bit search when ``ucb=True``), driven by
    :class:`~mmlean.nas.SampleReduceSearchLoop`.

    Args:
        architecture (dict | BaseModel): the supernet classifier (its mutables
            must be :class:`~mmlean.nas.ReducibleMutableOP`).
        mutator (dict | SampleReduceMutator): defaults to a
            ``SampleReduceMutator`` with ``PerformanceLikelihoodScorer``.
        norm_training, data_preprocessor, init_cfg: as ``Darts``.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 mutator: Union[Dict, SampleReduceMutator, None] = None,
                 norm_training: bool = False, data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        architecture, data_preprocessor = classifier_defaults(architecture, data_preprocessor)
        if mutator is None:
            mutator = dict(type='SampleReduceMutator',
                           scorer=dict(type='PerformanceLikelihoodScorer'))
        if isinstance(mutator, dict):  # the mutator lives in mmrazor's registry
            mutator = dict(mutator, _scope_=mutator.get('_scope_', 'mmrazor'))
        super().__init__(architecture, mutator, unroll=False, norm_training=norm_training,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(self.mutator, SampleReduceMutator):
            raise TypeError('BNAS needs a SampleReduceMutator (the performance-based reduction), '
                            f'got {type(self.mutator).__name__}')

    def train_step(self, data, optim_wrapper):
        """Darts's step, without the architecture batch's gradients on the weights
        (see :meth:`~mmlean.nas.SampleReduceAlgorithmMixin.supernet_train_step`)."""
        return self.supernet_train_step(self, data, optim_wrapper)
