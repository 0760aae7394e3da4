"""ABanditNAS's network: cell mapping, released cells, parameter count by hand."""
import os.path as osp

import pytest
import torch

import mmlean  # noqa: F401
from mmlean.nas import cell_type_indices

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'abanditnas',
                  'abanditnas-10_{}-c48l10_pgd7_1xb128-200e_cifar10.py')


def test_cell_kinds_of_abanditnas_10():
    # a a b b c d d e f f: 6 searched kinds on 10 cells, reductions at 3 and 6
    assert cell_type_indices(10, 6) == [0, 0, 1, 1, 2, 3, 3, 4, 5, 5]
    assert cell_type_indices(6, 6) == list(range(6))
    with pytest.raises(ValueError):
        cell_type_indices(4, 6)


def _op_params(op, c, stride):
    k = {'3x3': 3, '5x5': 5}.get(op[-3:], 3)
    if 'pool' in op:
        return 2 * c
    if op == 'skip_connect':
        return 0 if stride == 1 else c * c + 2 * c  # two 1x1 convs to C/2, BN
    if op.startswith('conv'):
        return c * c * k * k + 2 * c
    if op.startswith('sep_conv'):
        return c * k * k + 2 * c + c * c * k * k + 2 * c
    if op == 'gab_filt_3x3':
        return 5 * c + 2 * c
    if op == 'dtp_blok_3x3':
        return 2 * c
    raise AssertionError(op)


def hand_count(genotype, c=48, layers=10, manual=True, classes=10):
    """Parameters of ABanditNAS-10 without the auxiliary head, from the op definitions."""
    kinds = 'aabbcddeff'
    total = 3 * 3 * c * 9 + 2 * 3 * c  # stem
    prev, cur = 3 * c, c
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        cur = cur * 2 if reduction else cur
        total += prev * cur + 2 * cur  # ReLU-Conv1x1-BN preprocessing
        for op, src in genotype[kinds[i]]:
            total += _op_params(op, cur, 2 if reduction and src == 0 else 1)
        if manual and i in (layers // 4, 2 * layers // 4, 3 * layers // 4):
            total += 2 * 4 * cur
        prev = 4 * cur
    return total + prev * classes + classes


@pytest.mark.parametrize('name,manual', [('cifar1', True), ('cifar2', False)])
def test_released_networks_build_run_and_count_as_by_hand(name, manual):
    from mmrazor.registry import MODELS

    from mmlean.projects.abanditnas import ABANDIT_CIFAR_1, ABANDIT_CIFAR_2
    from mmlean.utils.config import load_config
    genotype = ABANDIT_CIFAR_1 if name == 'cifar1' else ABANDIT_CIFAR_2
    cfg = load_config(CONFIG.format(name))
    cfg.model.attack = None  # the network's own loss (the attack is tested elsewhere)
    model = MODELS.build(cfg.model)
    arch = model.architecture
    # without the auxiliary branch (backbone.auxliary_module and head.aux_linear), as the
    # official utils.param_size counts: 5,187,898 / 7,600,330 for the released networks
    params = sum(p.numel() for k, p in arch.named_parameters() if 'aux' not in k)
    assert params == hand_count(genotype, manual=manual)
    assert params == {'cifar1': 5_187_898, 'cifar2': 7_600_330}[name]
    # every cell kept one input edge per node, with the genotype's op
    for cell, kind in zip(arch.backbone.cells, arch.backbone.cell_types):
        for j, node in enumerate(cell.nodes, start=1):
            op, src = genotype[kind][j - 1]
            assert list(node.route._candidates) == [f'{kind}_n{j}_p{src}']
            assert node.route._candidates[f'{kind}_n{j}_p{src}'].choices == [op]
    torch.manual_seed(0)
    arch.train()
    losses = model(torch.rand(2, 3, 32, 32), [_sample(3), _sample(7)], mode='loss')
    assert 'aux_head.loss' in losses  # the auxiliary head is trained
    arch.eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, 32, 32), mode='tensor').shape == (2, 10)


def _sample(label):
    from mmpretrain.structures import DataSample
    return DataSample().set_gt_label(label)
