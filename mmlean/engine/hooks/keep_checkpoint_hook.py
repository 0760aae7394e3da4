"""Keep chosen epoch checkpoints that ``CheckpointHook(max_keep_ckpts=N)`` would delete."""
import os.path as osp
from typing import Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS

from mmlean.compat.atomic_write import atomic_write_bytes


@HOOKS.register_module()
class KeepCheckpointHook(Hook):
    """Copy the checkpoints of ``epochs`` to ``<checkpoint dir>/kept/`` as they are saved.

    A run that keeps only its last checkpoints can still hand a mid-run state to another
    run: the NAS evidence continues a PC-DARTS search from the end of the BNAS search's
    warm-up, which both run identically under the same seed (``--resume`` is
    bit-identical, see :class:`RNGStateHook`), so the warm-up is paid once.

    Args:
        epochs (Sequence[int]): the (1-based) epochs whose checkpoint to keep; each must
            be one the run's ``CheckpointHook`` saves.
    """

    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW) has written the file

    def __init__(self, epochs: Sequence[int]):
        epochs = [int(e) for e in epochs]
        if not epochs or min(epochs) < 1:
            raise ValueError(f'KeepCheckpointHook: epochs must be >= 1, got {epochs}')
        self.epochs = set(epochs)

    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch + 1  # the loop counts the finished epoch after its hooks
        if epoch not in self.epochs or not is_main_process():
            return
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        if not hooks:
            raise RuntimeError('KeepCheckpointHook: the run has no CheckpointHook')
        hook = hooks[0]
        source = osp.join(hook.out_dir, hook.filename_tmpl.format(epoch))
        if not osp.isfile(source):
            raise RuntimeError(f'KeepCheckpointHook: epoch {epoch} has no checkpoint '
                               f'{source}; the CheckpointHook must save that epoch '
                               f'(interval {hook.interval})')
        target = osp.join(hook.out_dir, 'kept', osp.basename(source))
        with open(source, 'rb') as f:
            atomic_write_bytes(f.read(), target)  # a crash leaves no half-written copy
        runner.logger.info(f'KeepCheckpointHook: kept {target}')
