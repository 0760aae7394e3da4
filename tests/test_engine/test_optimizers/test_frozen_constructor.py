"""SkipFrozenOptimWrapperConstructor: the default constructor's optimizer, without a warning
per frozen parameter."""
import logging

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor

from mmlean.engine.optimizers import SkipFrozenOptimWrapperConstructor

CFG = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=0))
PARAMWISE = dict(custom_keys={'.alpha': dict(lr_mult=100.0, decay_mult=0.0)})


class StudentTeacher(nn.Module):

    def __init__(self):
        super().__init__()
        self.generator = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 3, 3))
        self.generator[0].alpha = nn.Parameter(torch.ones(()))
        self.teacher = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 3, 3)).requires_grad_(False)


def _groups(wrapper):
    return [(tuple(id(p) for p in g['params']), g['lr']) for g in wrapper.optimizer.param_groups]


def test_same_optimizer_one_line_instead_of_a_warning_each():
    model = StudentTeacher()
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        default = DefaultOptimWrapperConstructor(CFG, PARAMWISE)(model)
        warned = [r for r in records if 'is skipped since' in r.getMessage()]
        records.clear()
        ours = SkipFrozenOptimWrapperConstructor(CFG, PARAMWISE)(model)
        ours_warned = [r for r in records if 'is skipped since' in r.getMessage()]
        summary = [r.getMessage() for r in records if 'frozen parameters left out' in
                   r.getMessage()]
    finally:
        logger.removeHandler(handler)
    assert len(warned) == 4 and not ours_warned
    assert summary == ['optimizer: 4 frozen parameters left out (under teacher)']
    assert _groups(ours) == _groups(default)
    alpha = model.generator[0].alpha
    assert [g['lr'] for g in ours.optimizer.param_groups if g['params'][0] is alpha] == [1e-2]
