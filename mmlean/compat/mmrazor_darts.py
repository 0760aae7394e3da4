"""Fixes to mmrazor 1.0's DARTS training that searches built on it hit.

Applied when :mod:`mmlean.nas` is imported (importing mmrazor's models is too
heavy for ``import mmlean``); applying twice is a no-op.

* ``Darts.train_step`` / ``DartsDDP.train_step`` (first order, ``unroll=False``):
  the architecture step's backward also fills the weights' gradients, and the
  weight step does not clear them first, so the supernet weights also learn
  from the architecture split; symmetrically the alphas carry the weight step's
  gradients into the next architecture step. Both now go through
  :func:`mmlean.nas.algorithm.first_order_darts_step`, which clears them.
* ``DartsEpochBasedTrainLoop`` never calls ``set_epoch`` on the architecture
  split's sampler (mmengine's ``DistSamplerSeedHook`` only knows the train
  loader), so under DDP that split is shuffled the same way every epoch; the
  loop now sets it at each epoch start.

Left alone (not on mmlean's paths): the unrolled (second-order) update's
virtual step, which rebinds a local name instead of writing the weights, and
``IterMultiLoader``'s reset of ``iter_loader`` (for ``iter_loaders``).
"""
import functools


def _patch_train_step(cls, algorithm_of) -> bool:
    original = cls.train_step
    if getattr(original, '__mmlean_wrapped__', False):
        return False
    from mmengine.optim import OptimWrapperDict

    from mmlean.nas.algorithm import first_order_darts_step

    @functools.wraps(original)
    def train_step(self, data, optim_wrapper):
        algorithm = algorithm_of(self)
        if isinstance(data, (tuple, list)) and isinstance(optim_wrapper, OptimWrapperDict) \
                and not algorithm.unroll:
            return first_order_darts_step(algorithm, self, data, optim_wrapper)
        return original(self, data, optim_wrapper)

    train_step.__mmlean_wrapped__ = True
    cls.train_step = train_step
    return True


def set_mutator_epoch(loop) -> None:
    """``set_epoch`` on the sampler of a DARTS loop's architecture split."""
    sampler = getattr(loop.mutator_dataloader, 'sampler', None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(loop._epoch)


def _patch_loop() -> bool:
    from mmrazor.engine.runner.darts_loop import DartsEpochBasedTrainLoop
    original = DartsEpochBasedTrainLoop.run_epoch
    if getattr(original, '__mmlean_wrapped__', False):
        return False

    @functools.wraps(original)
    def run_epoch(self):
        set_mutator_epoch(self)
        return original(self)

    run_epoch.__mmlean_wrapped__ = True
    DartsEpochBasedTrainLoop.run_epoch = run_epoch
    return True


def apply() -> bool:
    from mmrazor.models.algorithms.nas.darts import Darts, DartsDDP
    changed = _patch_train_step(Darts, lambda algo: algo)
    changed = _patch_train_step(DartsDDP, lambda ddp: ddp.module) or changed
    return _patch_loop() or changed
