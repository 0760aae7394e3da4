"""The CoGD configs build: the pruning model, and the optimizer with its pairs."""
import glob
import os.path as osp

import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmrazor.registry import MODELS

import mmlean.projects.cogd  # noqa: F401
from mmlean.utils.config import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# the pruning configs (not the full-precision baseline they start from)
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', 'cogd', '*.py'))
                 if osp.basename(p).startswith(('cogd_', 'softmask')))
# masked convs: ResNet-20 / -56: conv1 of 9 / 27 blocks; ResNet-18: conv1 of
# 8 BasicBlocks; ResNet-50: conv1 and conv2 of 16 Bottlenecks
MASKED = {'resnet20': 9, 'resnet56': 27, 'resnet18': 8, 'resnet50': 32}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_cogd_config_builds(path):
    cfg = load_config(path)
    init_default_scope('mmpretrain')
    cfg.model.architecture.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SoftMaskPruning'
    net = next(k for k in MASKED if k in osp.basename(path))
    assert len(model.groups) == MASKED[net]
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = wrapper.optimizer.param_groups
    pairs = [g for g in groups if g.get('cogd_pair')]
    if 'cogd_' in osp.basename(path):
        assert type(wrapper.optimizer).__name__ == 'CoGD'
        assert len(pairs) == MASKED[net]
        assert all(len(g['params']) == 4 for g in pairs)
    else:
        assert type(wrapper.optimizer).__name__ == 'SGD' and model.l1_loss > 0
    if 'resnet50' in path:
        ratio = float(osp.basename(path).split('-')[1].split('_')[0])
        assert cfg.model.prune_rate == pytest.approx(1 - ratio)
