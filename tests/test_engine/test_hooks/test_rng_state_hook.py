"""RNGStateHook: random states saved in checkpoints, restored on resume, neutral validation."""
import copy
import os.path as osp
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmlean  # noqa: F401
from mmlean.compat.checkpoint import safe_load
from mmlean.engine.hooks import RNGStateHook, capture_rng_state, restore_rng_state


def draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_capture_then_restore_replays_every_generator():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    draw()
    state = capture_rng_state()
    expected = [draw() for _ in range(3)]
    restore_rng_state(copy.deepcopy(state))
    assert [draw() for _ in range(3)] == expected


class NoisyDataset(Dataset):
    """Random augmentation from the global generators, as mmcv/mmpretrain transforms do."""

    def __init__(self, n=48):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = (self.x.sum(1) > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        jitter = np.random.randn(4).astype(np.float32) * 0.5 + random.random()
        return dict(inputs=self.x[i] + torch.from_numpy(jitter), labels=self.y[i])


class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2))

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.net(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return [dict(pred=o.argmax()) for o in out] if mode == 'predict' else out


def make_runner(work_dir, name, max_iters, resume=False, load_from=None, hook=True):
    torch.manual_seed(0)
    loader = dict(dataset=NoisyDataset(), batch_size=8, num_workers=0,
                  sampler=dict(type='InfiniteSampler', shuffle=True),
                  collate_fn=dict(type='default_collate'))
    return Runner(
        model=ToyModel(), work_dir=work_dir, experiment_name=name,
        train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[RNGStateHook()] if hook else None,
        randomness=dict(seed=0), resume=resume, load_from=load_from)


def weights(runner):
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.mark.parametrize('hook', [True, False])
def test_iteration_based_resume_is_bit_identical_only_with_the_hook(tmp_path, hook):
    straight = make_runner(str(tmp_path / 'a'), f'a{hook}', 12, hook=hook)
    straight.train()
    expected = weights(straight)
    ckpt = osp.join(str(tmp_path / 'a'), 'iter_8.pth')
    if hook:
        saved = safe_load(ckpt)['rng_state']  # loads with weights_only=True
        assert saved['world_size'] == 1 and len(saved['ranks']) == 1
    resumed = make_runner(str(tmp_path / 'b'), f'b{hook}', 12, resume=True, load_from=ckpt,
                          hook=hook)
    resumed.train()
    got = weights(resumed)
    same = all(torch.equal(expected[k], got[k]) for k in expected)
    # without the hook the skipped batches and dropout draw from other streams
    assert same == hook


def test_validation_is_rng_neutral():
    hook = RNGStateHook()
    torch.manual_seed(3)
    start = capture_rng_state()
    hook.before_val(runner=None)
    draw()  # validation consumes random numbers (a dataloader iterator, dropout, ...)
    hook.after_val(runner=None)
    after_validation = draw()
    restore_rng_state(start)
    assert draw() == after_validation
