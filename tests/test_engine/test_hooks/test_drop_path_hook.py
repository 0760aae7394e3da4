"""DropPathScheduleHook: DARTS's drop_prob = max_prob * epoch / max_epochs on mmcv DropPath."""
import logging
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmlean  # noqa: F401
from mmlean.engine.hooks import DropPathScheduleHook


class Net(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.paths = nn.ModuleList([DropPath(0.1), nn.Sequential(nn.ReLU(), DropPath(0.3))])
        self.seen = []  # (epoch-start probabilities) recorded by forward

    def forward(self, inputs, labels=None, mode='tensor'):
        self.seen.append(tuple(m.drop_prob for m in self.modules() if isinstance(m, DropPath)))
        out = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


class Toy(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((4, ), float(i)), labels=torch.tensor(i % 2))


def fake_runner(model, epoch, max_epochs):
    logger = logging.getLogger('test_drop_path_hook')
    hub = MessageHub.get_instance('test_drop_path_hook')
    return SimpleNamespace(model=model, epoch=epoch, max_epochs=max_epochs, logger=logger,
                           message_hub=hub)


@pytest.mark.parametrize('epoch,expected', [(0, 0.0), (300, 0.1), (599, 0.2 * 599 / 600)])
def test_linear_schedule_as_darts(epoch, expected):
    model = Net()
    runner = fake_runner(model, epoch, 600)
    DropPathScheduleHook(max_prob=0.2).before_train_epoch(runner)
    probs = [m.drop_prob for m in model.modules() if isinstance(m, DropPath)]
    assert probs == pytest.approx([expected] * 2)
    assert runner.message_hub.get_scalar('train/drop_path_prob').current() == \
        pytest.approx(expected)


def test_explicit_max_epochs_and_clamp():
    model = Net()
    hook = DropPathScheduleHook(max_prob=0.3, max_epochs=10)
    hook.before_train_epoch(fake_runner(model, 5, 600))
    assert model.paths[0].drop_prob == pytest.approx(0.15)
    hook.before_train_epoch(fake_runner(model, 20, 600))
    assert model.paths[0].drop_prob == pytest.approx(0.3)


def test_warns_once_without_drop_path(caplog):
    model = nn.Linear(2, 2)
    hook = DropPathScheduleHook()
    with caplog.at_level(logging.WARNING, logger='test_drop_path_hook'):
        for epoch in range(3):
            hook.before_train_epoch(fake_runner(model, epoch, 3))
    assert sum('no mmcv DropPath' in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize('kw', [dict(max_prob=1.0), dict(max_prob=-0.1), dict(max_epochs=0)])
def test_bad_arguments(kw):
    with pytest.raises(ValueError, match='DropPathScheduleHook'):
        DropPathScheduleHook(**kw)


def test_in_a_runner_from_the_config_name(tmp_path):
    model = Net()
    runner = Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Toy(), sampler=dict(type='DefaultSampler', shuffle=False),
                              batch_size=4, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=4),
        custom_hooks=[dict(type='DropPathScheduleHook', max_prob=0.2)],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmengine', log_level='WARNING')
    runner.train()
    # two iterations per epoch; every DropPath at 0.2 * epoch / 4 during epoch `epoch`
    expected = [(0.05 * e, 0.05 * e) for e in range(4) for _ in range(2)]
    assert model.seen == [pytest.approx(p) for p in expected]
