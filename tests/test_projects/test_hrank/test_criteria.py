"""The baselines' filter scores (L1 norm, random) drive the same HRank pruning: checked
against numpy on a CIFAR ResNet-20, and through tools/analysis_tools/hrank_ranks.py."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

pytest.importorskip('torch_pruning')
from mmengine.registry import init_default_scope  # noqa: E402
from mmrazor.registry import MODELS  # noqa: E402

from mmlean.projects.hrank.criteria import filter_l1_scores, random_scores  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
RATES = [0.0] + [0.5, 0.0] * 9


def build():
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=20),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    torch.manual_seed(0)
    return MODELS.build(dict(_scope_='mmrazor', type='HRank', architecture=arch,
                             compress_rate=RATES))


def test_l1_pruning_keeps_the_filters_of_largest_l1_norm():
    algo = build()
    convs = [u.conv for u in algo.units]
    algo.prepare(filter_l1_scores(algo.architecture, convs))
    pruned_groups = [g for g in algo.groups if g.rate > 0]
    assert len(pruned_groups) == 9
    for g in pruned_groups:
        weight = algo.architecture.get_submodule(g.convs[0]).weight.detach().numpy()
        norms = np.abs(weight).reshape(weight.shape[0], -1).sum(1)
        keep = weight.shape[0] - int(g.rate * weight.shape[0])
        assert g.kept == sorted(np.argsort(-norms)[:keep].tolist())


def test_random_scores_are_seeded_and_prune_the_same_count():
    algo = build()
    convs = [u.conv for u in algo.units]
    a, b = random_scores(algo.architecture, convs, 1), random_scores(algo.architecture, convs, 1)
    c = random_scores(algo.architecture, convs, 2)
    assert all(torch.equal(a[k], b[k]) for k in convs)
    assert any(not torch.equal(a[k], c[k]) for k in convs)
    algo.prepare(a)
    kept_random = [g.kept for g in algo.groups]
    algo.prepare(filter_l1_scores(algo.architecture, convs))
    kept_l1 = [g.kept for g in algo.groups]
    assert [len(k) for k in kept_random] == [len(k) for k in kept_l1]  # same FLOPs
    assert kept_random != kept_l1


def test_tool_writes_l1_scores_without_data(tmp_path):
    """hrank_ranks.py --criterion l1 on the proxy config: the file holds each conv's
    filter L1 norms of the given checkpoint and names its criterion."""
    algo = build()
    ckpt = str(tmp_path / 'unpruned.pth')
    torch.save({'state_dict': algo.architecture.state_dict()}, ckpt)
    out = str(tmp_path / 'l1.json')
    subprocess.run([sys.executable, 'tools/analysis_tools/hrank_ranks.py',
                    'configs/hrank/hrank_resnet20_1xb64-12e_digits-on-photos.py', ckpt,
                    '--out', out, '--criterion', 'l1', '--cfg-options', f'pretrained={ckpt}'],
                   cwd=ROOT, check=True, capture_output=True)
    data = json.load(open(out))
    assert data['meta']['criterion'] == 'l1'
    weight = algo.architecture.backbone.layer1[0].conv1.weight.detach().numpy()
    np.testing.assert_allclose(data['ranks']['backbone.layer1.0.conv1'],
                               np.abs(weight).reshape(16, -1).sum(1), rtol=1e-6)
