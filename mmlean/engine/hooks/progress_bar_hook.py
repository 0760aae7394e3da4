"""A progress bar for training and evaluation epochs."""
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.utils import ProgressBar


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show mmengine's ``ProgressBar`` (with ETA) over each train/val/test epoch.

    mmengine's LoggerHook prints a line every ``interval`` iterations; on short
    runs a bar is easier to follow. Only the main process draws.

    Args:
        train (bool): bar over training epochs. Defaults to True.
        val (bool): bar over validation / test. Defaults to True.
    """
    priority = 'VERY_LOW'

    def __init__(self, train: bool = True, val: bool = True):
        self.train = train
        self.val = val
        self._bar: Optional[ProgressBar] = None

    def _start(self, total: int, enabled: bool):
        self._bar = ProgressBar(total) if enabled and is_main_process() else None

    def _update(self):
        if self._bar is None:
            return
        self._bar.update()
        if self._bar.completed >= self._bar.task_num:  # end the line before
            self._finish()                              # LoggerHook prints

    def _finish(self):
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
        self._bar = None

    def before_train_epoch(self, runner) -> None:
        # a loop whose epochs are not one pass over the train loader says how long they are
        total = getattr(runner.train_loop, 'iters_this_epoch', None)
        self._start(total if total is not None else len(runner.train_dataloader), self.train)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._update()

    def after_train_epoch(self, runner) -> None:
        self._finish()

    def before_val_epoch(self, runner) -> None:
        self._start(len(runner.val_dataloader), self.val)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._update()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish()

    def before_test_epoch(self, runner) -> None:
        self._start(len(runner.test_dataloader), self.val)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish()
