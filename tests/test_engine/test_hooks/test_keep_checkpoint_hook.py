"""KeepCheckpointHook: copies the chosen epochs' checkpoints, refuses what it cannot keep.
(Its use end to end, a search continued from a kept warm-up end, is tested in
tests/test_projects/test_bnas/test_search.py.)"""
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
from mmengine.hooks import CheckpointHook

from mmlean.engine.hooks import KeepCheckpointHook


def _runner(tmp_path, epoch):
    checkpoint = CheckpointHook(interval=1)
    checkpoint.out_dir = str(tmp_path)
    return SimpleNamespace(epoch=epoch, hooks=[checkpoint], logger=logging.getLogger('t'))


def test_keeps_only_the_chosen_epochs(tmp_path):
    hook = KeepCheckpointHook(epochs=[2])
    for epoch in (1, 2):
        (tmp_path / f'epoch_{epoch}.pth').write_bytes(b'state %d' % epoch)
    hook.after_train_epoch(_runner(tmp_path, epoch=0))  # epoch 1 finished
    assert not osp.exists(tmp_path / 'kept')
    hook.after_train_epoch(_runner(tmp_path, epoch=1))  # epoch 2 finished
    assert (tmp_path / 'kept' / 'epoch_2.pth').read_bytes() == b'state 2'
    assert sorted(p.name for p in (tmp_path / 'kept').iterdir()) == ['epoch_2.pth']


def test_refuses_bad_epochs_and_a_missing_checkpoint(tmp_path):
    with pytest.raises(ValueError, match='epochs must be >= 1'):
        KeepCheckpointHook(epochs=[0])
    with pytest.raises(RuntimeError, match='epoch 3 has no checkpoint'):
        KeepCheckpointHook(epochs=[3]).after_train_epoch(_runner(tmp_path, epoch=2))
