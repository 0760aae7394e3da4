"""Distributed data parallel for mmrazor's first-order DARTS searches."""
from typing import Dict

from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS

from .algorithm import first_order_darts_step


@MODEL_WRAPPERS.register_module()
class FirstOrderDartsDDP(MMDistributedDataParallel):
    """DDP wrapper for an mmrazor ``Darts`` algorithm searched with first-order DARTS
    (Liu et al., ICLR 2019, Sec. 2.3, xi = 0) by ``DartsEpochBasedTrainLoop``.

    mmengine's ``MMDistributedDataParallel.train_step`` cannot take the loop's
    (train batch, architecture batch) pair and its ``OptimWrapperDict``;
    mmrazor's ``DartsDDP`` can, but it wraps every BatchNorm of the model
    (``BatchNormWrapper``), so a distributed run's checkpoints have other
    state-dict keys than a single-process run's and do not resume across the
    two. This wrapper keeps the module untouched and runs
    :func:`~mmlean.nas.algorithm.first_order_darts_step` with both forwards
    through DDP, so the gradients of the weights and of the architecture
    parameters are averaged over the ranks. Other steps (a single batch)
    are mmengine's.
    """

    def train_step(self, data, optim_wrapper) -> Dict:
        if isinstance(data, (tuple, list)) and isinstance(optim_wrapper, OptimWrapperDict):
            if getattr(self.module, 'unroll', False):
                raise NotImplementedError(
                    'FirstOrderDartsDDP runs first-order DARTS only (the algorithm has '
                    'unroll=True): set unroll=False or use mmrazor.DartsDDP')
            return first_order_darts_step(self.module, self, data, optim_wrapper)
        return super().train_step(data, optim_wrapper)
