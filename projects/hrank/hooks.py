"""Fine-tuning with HRank's masks: one shot or layer by layer."""
import logging
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def _algorithm(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    from .algorithm import HRank
    if not isinstance(model, HRank):
        raise TypeError(f'HRankHook needs an HRank model, got {type(model).__name__}')
    return model


@HOOKS.register_module()
class HRankHook(Hook):
    """Apply HRank's filter masks while fine-tuning.

    ``mode='one_shot'`` prunes every layer before the first epoch and fine-
    tunes once (the HRankPlus procedure the authors recommend).
    ``mode='layerwise'`` is the paper's procedure: prune one more layer (group)
    every ``epochs_per_layer`` epochs, each stage with its own learning-rate
    schedule: ``lr`` times 0.1 at each of ``stage_milestones`` (official: 0.01,
    [5, 10]). In both modes the masks are re-applied after every optimizer step
    (the official code's ``param.data *= mask``), so pruned filters stay zero.

    Args:
        mode (str): 'one_shot' or 'layerwise'.
        epochs_per_layer (int): layerwise only. Defaults to 30 (README).
        stage_lr (float, optional): layerwise only: the LR at each stage start.
        stage_milestones (Sequence[int]): layerwise only. Defaults to (5, 10).
    """
    priority = 'HIGH'

    def __init__(self, mode: str = 'one_shot', epochs_per_layer: int = 30,
                 stage_lr: float = None, stage_milestones: Sequence[int] = (5, 10)):
        if mode not in ('one_shot', 'layerwise'):
            raise ValueError(f"HRankHook mode must be 'one_shot' or 'layerwise', got {mode!r}")
        if epochs_per_layer < 1:
            raise ValueError(f'epochs_per_layer must be >= 1, got {epochs_per_layer}')
        self.mode = mode
        self.epochs_per_layer = epochs_per_layer
        self.stage_lr = stage_lr
        self.stage_milestones = tuple(stage_milestones)

    def before_train(self, runner) -> None:
        algo = _algorithm(runner)
        if not algo.prepared:
            algo.prepare()
            print_log(f'HRank: chose the kept filters of {len(algo.groups)} groups from '
                      f'{algo.rank_file}', logger='current')
        if self.mode == 'one_shot':
            algo.set_active(len(algo.groups))
        algo.apply_masks()
        groups = len(algo.groups)
        if self.mode == 'layerwise' and runner.max_epochs < groups * self.epochs_per_layer:
            print_log(f'HRank layerwise: {groups} layers x {self.epochs_per_layer} epochs need '
                      f'{groups * self.epochs_per_layer} epochs, max_epochs is '
                      f'{runner.max_epochs}: the last layers get no fine-tuning',
                      logger='current', level=logging.WARNING)

    def before_train_epoch(self, runner) -> None:
        if self.mode != 'layerwise':
            return
        algo = _algorithm(runner)
        stage, offset = divmod(runner.epoch, self.epochs_per_layer)
        if algo.hrank_active.item() < stage + 1:
            algo.set_active(stage + 1)
            algo.apply_masks()
            print_log(f'HRank layerwise: pruned {int(algo.hrank_active)}/{len(algo.groups)} '
                      f'layers ({algo.groups[stage].convs[0]})', logger='current')
        if self.stage_lr is not None:
            lr = self.stage_lr * 0.1 ** sum(offset >= m for m in self.stage_milestones)
            for group in runner.optim_wrapper.optimizer.param_groups:
                group['lr'] = lr

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        _algorithm(runner).apply_masks()

    def before_val_epoch(self, runner) -> None:
        _algorithm(runner).apply_masks()

    def before_test_epoch(self, runner) -> None:
        _algorithm(runner).apply_masks()
