"""DARTS's linearly increasing drop-path probability, for mmcv ``DropPath`` modules."""
from typing import Optional

from mmcv.cnn.bricks import DropPath
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def set_drop_path_prob(model, prob: float) -> int:
    """Set ``drop_prob`` of every mmcv ``DropPath`` in ``model``; returns how many."""
    if is_model_wrapper(model):
        model = model.module
    count = 0
    for module in model.modules():
        if isinstance(module, DropPath):
            module.drop_prob = prob
            count += 1
    return count


@HOOKS.register_module()
class DropPathScheduleHook(Hook):
    """At each epoch start set every ``DropPath.drop_prob`` to ``max_prob * epoch / max_epochs``.

    The DARTS evaluation-training schedule (Liu et al., arXiv 1806.09055;
    official ``cnn/train.py``: ``model.drop_path_prob = args.drop_path_prob *
    epoch / args.epochs`` with ``drop_path_prob`` 0.2, 0-based epochs), which
    BNAS's evaluation networks inherit (github.com/bczhangbczhang/BNAS,
    ``models/darts_cell_x.py`` applies drop path to every op but the
    identity). Acts on mmcv ``DropPath`` modules (``mmcv.cnn.bricks.DropPath``,
    used by mmrazor's DARTS ops and ``mmlean.nas.ops``); the value is logged
    as ``train/drop_path_prob``. Resuming recomputes it from the epoch.

    Args:
        max_prob (float): the probability reached at ``max_epochs``.
            Defaults to 0.2 (DARTS, CIFAR-10).
        max_epochs (int, optional): the schedule length. Defaults to the
            train loop's ``max_epochs``.
    """

    priority = 'NORMAL'

    def __init__(self, max_prob: float = 0.2, max_epochs: Optional[int] = None):
        if not 0.0 <= max_prob < 1.0:
            raise ValueError(f'DropPathScheduleHook: max_prob must be in [0, 1), got {max_prob}')
        if max_epochs is not None and max_epochs < 1:
            raise ValueError(f'DropPathScheduleHook: max_epochs must be >= 1, got {max_epochs}')
        self.max_prob = max_prob
        self.max_epochs = max_epochs
        self._warned = False

    def prob_at(self, epoch: int, max_epochs: int) -> float:
        """``max_prob * epoch / max_epochs`` (0-based epoch)."""
        return self.max_prob * min(epoch, max_epochs) / max_epochs

    def before_train_epoch(self, runner) -> None:
        max_epochs = self.max_epochs or runner.max_epochs
        prob = self.prob_at(runner.epoch, max_epochs)
        count = set_drop_path_prob(runner.model, prob)
        if count == 0 and not self._warned:
            runner.logger.warning('DropPathScheduleHook: the model has no mmcv DropPath module '
                                  '(were the ops built with use_drop_path=True?)')
            self._warned = True
        runner.message_hub.update_scalar('train/drop_path_prob', prob)
