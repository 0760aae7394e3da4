"""mmengine checkpoints under torch.load(weights_only=True) with mmlean's allow-list."""
import copy
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmlean  # noqa: F401
from mmlean.compat.checkpoint import CheckpointSecurityError, safe_load


class ToyDataset(Dataset):
    def __init__(self, n=64):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = (self.x.sum(1) > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], labels=self.y[i])


class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                 nn.Linear(8, 2))

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.net(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


class CrashAfterEpoch(Hook):
    priority = 'LOWEST'  # after CheckpointHook has saved

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            raise KeyboardInterrupt('simulated crash')


def make_runner(work_dir, name, resume=False, crash_after=None):
    torch.manual_seed(0)
    return Runner(
        model=ToyModel(),
        work_dir=work_dir,
        experiment_name=name,
        train_dataloader=dict(dataset=ToyDataset(), batch_size=8,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate'),
                              num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                                          weight_decay=1e-4)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1, 2], gamma=0.5,
                             by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[CrashAfterEpoch(crash_after)] if crash_after else None,
        randomness=dict(seed=0),
        resume=resume,
    )


def state(runner):
    return copy.deepcopy(runner.model.state_dict())


def test_resume_after_crash_gives_identical_weights(tmp_path):
    straight = make_runner(str(tmp_path / 'straight'), 'ckpt_straight')
    straight.train()
    expected = state(straight)

    work = str(tmp_path / 'crashed')
    with pytest.raises(KeyboardInterrupt):
        make_runner(work, 'ckpt_crash', crash_after=2).train()
    assert osp.exists(osp.join(work, 'epoch_2.pth'))
    assert not osp.exists(osp.join(work, 'epoch_3.pth'))

    resumed = make_runner(work, 'ckpt_resume', resume=True)
    resumed.train()
    assert resumed.epoch == 3
    got = state(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
    # the resumed run really loaded the full checkpoint (message hub included)
    ckpt = safe_load(osp.join(work, 'epoch_3.pth'))
    assert {'meta', 'state_dict', 'message_hub', 'optimizer',
            'param_schedulers'} <= set(ckpt)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': Evil(marker)}, path)

    from mmengine.runner import load_checkpoint
    with pytest.raises(CheckpointSecurityError, match='evil.pth') as info:
        load_checkpoint(ToyModel(), path)
    assert 'system' in str(info.value)  # names the refused global
    with pytest.raises(CheckpointSecurityError):
        safe_load(path)
    assert not marker.exists()


def test_getattr_stand_in_refuses_everything_but_history_buffer_stats():
    from mmengine.logging import HistoryBuffer

    from mmlean.compat.checkpoint import safe_getattr
    assert safe_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(CheckpointSecurityError):
        safe_getattr(os, 'system')
    with pytest.raises(CheckpointSecurityError):
        safe_getattr(HistoryBuffer, '__init__')


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    """A crash while writing leaves the previous checkpoint intact."""
    from mmengine.fileio import get_file_backend
    path = str(tmp_path / 'ckpt.pth')
    backend = get_file_backend(path)
    backend.put(b'old', path)

    def broken_fsync(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    with pytest.raises(OSError, match='disk full'):
        backend.put(b'new-but-torn', path)
    assert open(path, 'rb').read() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']  # no temp file left behind
