"""HRank: ranks, compress rates, channel choice, masks vs physical pruning, FLOPs."""
import json

import pytest
import torch
import torch.nn as nn

pytest.importorskip('torch_pruning')
from mmengine.registry import init_default_scope  # noqa: E402
from mmrazor.registry import MODELS  # noqa: E402

import mmlean.projects.hrank as H  # noqa: E402
from mmlean.projects.hrank.flops import conv_linear_complexity, hrank_formula  # noqa: E402
from mmlean.projects.hrank.pruning import kept_channels  # noqa: E402

R56 = ('[0.1]+[0.60]*35+[0.0]*2+[0.6]*6+[0.4]*3+[0.1]+[0.4]+[0.1]+[0.4]+[0.1]+[0.4]'
       '+[0.1]+[0.4]')
R110 = '[0.1]+[0.40]*36+[0.40]*36+[0.4]*36'
VGG = '[0.95]+[0.5]*6+[0.9]*4+[0.8]*2'


def cifar_resnet(depth):
    return dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=depth),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))


def cifar_vgg():
    return dict(type='ImageClassifier', backbone=dict(type='CIFARVGG'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='StackedLinearClsHead', num_classes=10, in_channels=512,
                          mid_channels=[512], norm_cfg=dict(type='BN1d'),
                          act_cfg=dict(type='ReLU')))


def build(arch, rate, **kwargs):
    init_default_scope('mmpretrain')
    return MODELS.build(dict(_scope_='mmrazor', type='HRank', architecture=arch,
                             compress_rate=rate, **kwargs))


# --- ranks ------------------------------------------------------------------
def test_rank_of_known_low_rank_maps():
    g = torch.Generator().manual_seed(0)
    maps = torch.zeros(2, 3, 8, 8)
    for n in range(2):
        for c, r in enumerate([1, 3, 8]):
            u, v = torch.randn(8, r, generator=g), torch.randn(r, 8, generator=g)
            maps[n, c] = u @ v  # rank r by construction
    maps[1, 0] = 0  # the zero map has rank 0
    ranks = H.feature_map_ranks(maps)
    assert ranks.tolist() == [[1, 3, 8], [0, 3, 8]]


def test_collector_averages_over_images_and_round_trips(tmp_path):
    conv = nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 0.0]).view(2, 1, 1, 1))
    model = nn.Sequential(conv)
    rank1 = torch.zeros(1, 1, 4, 4)
    rank1[0, 0, 0, 0] = 1.0  # rank 1
    full = torch.eye(4).view(1, 1, 4, 4)  # rank 4
    ranks = H.collect_ranks(model, [rank1, full], {'c': '0'}, model, 2, progress=False)
    assert ranks['c'].tolist() == [2.5, 0.0]  # mean over images; channel 2 always 0
    path = str(tmp_path / 'ranks.json')
    H.save_ranks(ranks, path, meta=dict(note='x'))
    assert H.load_ranks(path)['c'].tolist() == [2.5, 0.0]
    with pytest.raises(ValueError, match='no ranks for layers'):
        H.load_ranks(path, expected=['c', 'd'])
    (tmp_path / 'bad.json').write_text(json.dumps({'not': 'ranks'}))
    with pytest.raises(ValueError, match='not an HRank rank file'):
        H.load_ranks(str(tmp_path / 'bad.json'))


# --- compress rates -----------------------------------------------------------
def test_parse_paper_strings():
    assert len(H.parse_compress_rate(R56)) == 55
    assert len(H.parse_compress_rate(R110)) == 109
    assert H.parse_compress_rate('[0.1]+[0.5]*2') == [0.1, 0.5, 0.5]
    with pytest.raises(ValueError, match="cannot parse term"):
        H.parse_compress_rate('[0.1]+0.5')
    with pytest.raises(ValueError, match=r'in \[0, 1\)'):
        H.parse_compress_rate('[1.0]')


def test_wrong_length_names_both_counts():
    with pytest.raises(ValueError, match='gives 54 rates but the model has 55 prunable layers'):
        build(cifar_resnet(56), '[0.1]+[0.6]*53')


def test_dict_rates_and_unknown_layer():
    algo = build(cifar_resnet(20), {'backbone.layer1.0.conv1': 0.5})
    assert algo.rates['backbone.layer1.0.conv1'] == 0.5
    assert sum(algo.rates.values()) == 0.5
    with pytest.raises(ValueError, match='not prunable here'):
        build(cifar_resnet(20), {'backbone.nope': 0.5})


def test_units_follow_the_paper_order():
    algo = build(cifar_resnet(56), R56)
    assert len(algo.units) == 55
    assert algo.units[0].conv == 'backbone.conv1' and algo.units[0].rank_layer == 'backbone.relu'
    assert algo.units[2].rank_layer == 'backbone.layer1.0.relu2'  # after the addition
    assert len(algo.groups) == 27  # block conv1s; option-A streams are not removable
    vgg = build(cifar_vgg(), VGG)
    assert len(vgg.units) == 13 and not vgg.units[-1].prunable


# --- channel choice ---------------------------------------------------------------
def test_kept_channels_highest_rank_with_stable_tie_break():
    rank = torch.tensor([3.0, 1.0, 3.0, 2.0, 1.0])
    l1 = torch.tensor([1.0, 5.0, 2.0, 1.0, 5.0])
    # remove int(0.4 * 5) = 2: the rank-1 channels (1 and 4)
    assert kept_channels(rank, l1, 0.4) == [0, 2, 3]
    # remove 3: among rank-3 ties, channel 2 (larger L1) beats 0
    assert kept_channels(rank, l1, 0.6) == [0, 2]
    assert kept_channels(rank, l1, 0.8) == [2]
    # full tie: larger L1 first, then lower index
    assert kept_channels(torch.ones(4), torch.tensor([1.0, 2.0, 2.0, 0.5]), 0.5) == [1, 2]


# --- masks == physical pruning ------------------------------------------------------
def randomize_bn(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


@pytest.mark.parametrize('arch,rate,shape', [
    (cifar_resnet(20), [0.0] + [0.5, 0.3] * 9, (3, 32, 32)),
    (cifar_vgg(), VGG, (3, 32, 32)),
    (dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=50),
          neck=dict(type='GlobalAveragePooling'),
          head=dict(type='LinearClsHead', num_classes=10, in_channels=2048)),
     '[0.2]+[0.8]*10+[0.8]*13+[0.55]*19+[0.45]*10', (3, 64, 64)),
    (dict(type='ImageClassifier', backbone=dict(type='CIFARDenseNet'),
          neck=dict(type='GlobalAveragePooling'),
          head=dict(type='LinearClsHead', num_classes=10, in_channels=456)),
     '[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*5+[0.0]', (3, 32, 32)),
    (dict(type='ImageClassifier', backbone=dict(type='CIFARGoogLeNet'),
          neck=dict(type='GlobalAveragePooling'),
          head=dict(type='LinearClsHead', num_classes=10, in_channels=1024)),
     '[0.10]+[0.8]*5+[0.85]+[0.8]*3', (3, 32, 32)),
], ids=['resnet20', 'vgg16', 'resnet50', 'densenet40', 'googlenet'])
def test_physically_pruned_equals_masked(arch, rate, shape):
    algo = build(arch, rate, input_shape=shape)
    torch.manual_seed(0)
    ranks = {u.conv: torch.randint(0, 6, (algo.architecture.get_submodule(u.conv).out_channels,))
             .double() for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    algo.eval()
    randomize_bn(algo)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        algo.apply_masks()
        masked = algo(x, mode='tensor')
    pruned = algo.export()
    with torch.no_grad():
        out = pruned(x, mode='tensor')
    assert torch.allclose(out, masked, atol=1e-4, rtol=1e-4), (out - masked).abs().max()
    before = sum(p.numel() for p in algo.architecture.parameters())
    after = sum(p.numel() for p in pruned.parameters())
    assert after < before
    # every kept conv really lost the pruned filters
    for g in algo.groups:
        assert pruned.get_submodule(g.convs[0]).out_channels == len(g.kept)


def test_masks_survive_a_state_dict_round_trip():
    algo = build(cifar_resnet(20), [0.0] + [0.5, 0.0] * 9)
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels).double()
             for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(3)
    fresh = build(cifar_resnet(20), [0.0] + [0.5, 0.0] * 9)
    fresh.load_state_dict(algo.state_dict())
    assert fresh.prepared and int(fresh.hrank_active) == 3
    assert [g.kept for g in fresh._masks_to_groups()] == [g.kept for g in algo._masks_to_groups()]


# --- FLOPs -------------------------------------------------------------------
DENSENET = ('[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*5+[0.0]')


@pytest.mark.parametrize('arch,rate,paper_macs,paper_params,tol', [
    (cifar_resnet(56), R56, 62.72e6, 0.49e6, 0.01),
    (cifar_resnet(110), R110, 156.90e6, 1.04e6, 0.015),
    (dict(type='ImageClassifier', backbone=dict(type='CIFARDenseNet'),
          neck=dict(type='GlobalAveragePooling'),
          head=dict(type='LinearClsHead', num_classes=10, in_channels=456)),
     DENSENET, 167.41e6, 0.66e6, 0.01),
    # the official counter itself gives 450.06M / 1.858M for GoogLeNet
    (dict(type='ImageClassifier', backbone=dict(type='CIFARGoogLeNet'),
          neck=dict(type='GlobalAveragePooling'),
          head=dict(type='LinearClsHead', num_classes=10, in_channels=1024)),
     '[0.10]+[0.8]*5+[0.85]+[0.8]*3', 0.45e9, 1.86e6, 0.015),
], ids=['resnet56', 'resnet110', 'densenet40', 'googlenet'])
def test_hrank_formula_reproduces_the_paper(arch, rate, paper_macs, paper_params, tol):
    """HRank's analytic counting rule (cal_flops_params.py), reimplemented,
    on our model definitions and the README strings gives the paper's table."""
    algo = build(arch, rate)
    macs, params = hrank_formula(algo.architecture, algo.units, algo.rates, (3, 32, 32))
    assert abs(macs - paper_macs) / paper_macs < tol
    assert abs(params - paper_params) / paper_params < tol


@pytest.mark.parametrize('depth,macs', [(56, 125.49e6), (110, 252.89e6)])
def test_baseline_flops_counted_by_ptflops(depth, macs):
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS as PMODELS
    model = PMODELS.build(cifar_resnet(depth))
    counted, _ = conv_linear_complexity(model, (3, 32, 32))
    assert abs(counted - macs) / macs < 0.001


def test_faster_rcnn_backbone_mix_and_match(repo_root):
    """HRank on the backbone of mmdet's Faster R-CNN config, streams untouched."""
    import os.path as osp

    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(repo_root, 'configs/hrank/hrank_faster-rcnn_r50_fpn_1x_coco.py'))
    init_default_scope('mmdet')
    algo = MODELS.build(cfg.model)
    assert all(not u.prunable for u in algo.units if u.stream)
    assert len(algo.groups) == 32  # conv1 + conv2 of the 16 bottlenecks
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels).double()
             for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    algo.eval()
    randomize_bn(algo)
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        algo.apply_masks()
        masked = algo.architecture.backbone(x)
        pruned = algo.export()
        out = pruned.backbone(x)
    for a, b in zip(out, masked):  # same shapes: the FPN still fits
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-4, rtol=1e-4)
    assert pruned.backbone.layer1[0].conv1.out_channels < 64
