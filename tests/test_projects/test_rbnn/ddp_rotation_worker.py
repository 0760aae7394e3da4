"""One rank of the DDP rotation-consistency test; run by torchrun from test_algorithm.py.

A standalone script (not a function pickled by ``mp.spawn``) because spawned children
import the parent's test module by name, and some installed packages (mmrazor,
pybboxes, model-index) ship a top-level ``tests`` package that shadows ours.
"""
import os
import sys

import torch
from mmengine.registry import init_default_scope

import mmlean.projects.rbnn  # noqa: F401  (first: mmlean.compat)
from mmlean.binary import RBNNConv2d
from mmlean.projects.rbnn import RBNNHook

# isort: split
from mmrazor.registry import MODELS


def main(out_dir):
    torch.distributed.init_process_group('gloo')
    rank = torch.distributed.get_rank()
    torch.manual_seed(100 + rank)  # every rank starts from different rotations
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8),
                neck=dict(type='PoolBatchNormNeck', in_channels=64),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    model = MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch))
    with torch.no_grad():  # and slightly different weights (e.g. SVD noise)
        for m in model.modules():
            if isinstance(m, RBNNConv2d):
                m.weight.add_(1e-3 * rank * torch.randn_like(m.weight))
    RBNNHook.update_rotations(model)
    state = {n: b for n, b in model.named_buffers() if n.endswith(('R1', 'R2'))}
    torch.save(state, os.path.join(out_dir, f'rank{rank}.pth'))
    torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
