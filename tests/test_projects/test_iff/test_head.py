"""IFF feedback loop on mmdet dense heads (Mao et al., arXiv 2006.12708)."""
import copy

import pytest
import torch

pytest.importorskip('mmdet')

ANCHORS = dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
               ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128])
DELTA = dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
             target_stds=[1.0, 1.0, 1.0, 1.0])
FOCAL = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)
HEADS = {
    'RetinaHead': dict(type='RetinaHead', num_classes=3, in_channels=8, feat_channels=8,
                       stacked_convs=2, anchor_generator=ANCHORS, bbox_coder=DELTA, loss_cls=FOCAL,
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    'FreeAnchorRetinaHead': dict(type='FreeAnchorRetinaHead', num_classes=3, in_channels=8,
                                 feat_channels=8, stacked_convs=2, anchor_generator=ANCHORS,
                                 bbox_coder=dict(DELTA, target_stds=[0.1, 0.1, 0.2, 0.2]),
                                 loss_bbox=dict(type='SmoothL1Loss', beta=0.11, loss_weight=0.75)),
    'FCOSHead': dict(type='FCOSHead', num_classes=3, in_channels=8, feat_channels=8,
                     stacked_convs=2, strides=[8, 16, 32, 64, 128], norm_on_bbox=True,
                     norm_cfg=None, loss_cls=FOCAL),
    'FoveaHead': dict(type='FoveaHead', num_classes=3, in_channels=8, feat_channels=8,
                      stacked_convs=2, strides=[8, 16, 32, 64, 128],
                      base_edge_list=[16, 32, 64, 128, 256],
                      scale_ranges=((1, 64), (32, 128), (64, 256), (128, 512), (256, 2048)),
                      sigma=0.4, with_deform=False, norm_cfg=None,
                      loss_cls=dict(FOCAL, gamma=1.5, alpha=0.4),
                      loss_bbox=dict(type='SmoothL1Loss', beta=0.11, loss_weight=1.0)),
    'SSDHead': dict(type='SSDHead', num_classes=3, in_channels=(8, 16, 8, 8, 8, 8),
                    anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False,
                                          input_size=300, basesize_ratio_range=(0.15, 0.9),
                                          strides=[8, 16, 32, 64, 100, 300],
                                          ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]]),
                    bbox_coder=dict(DELTA, target_stds=[0.1, 0.1, 0.2, 0.2])),
}
SIZES = {'SSDHead': [(8, 8), (16, 4), (8, 2), (8, 1), (8, 1), (8, 1)]}


@pytest.fixture(autouse=True)
def scope():
    import mmlean.projects.iff  # noqa: F401  (first: mmlean.compat)
    # isort: split
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def feats(name, seed=0):
    g = torch.Generator().manual_seed(seed)
    sizes = SIZES.get(name, [(8, s) for s in (32, 16, 8, 4, 2)])
    return tuple(torch.randn(2, c, s, s, generator=g) for c, s in sizes)


def build_pair(name, **feedback):
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    base = MODELS.build(copy.deepcopy(HEADS[name]))
    iff = MODELS.build(dict(type='IFFHead', head=copy.deepcopy(HEADS[name]), feedback=feedback))
    missing, unexpected = iff.load_state_dict(base.state_dict(), strict=False)
    assert not unexpected and all(k.startswith('iff_conv') for k in missing), missing
    return base, iff


def flat(outs):
    return [t for level in outs for t in level]


@pytest.mark.parametrize('name', sorted(HEADS))
@pytest.mark.parametrize('training', [True, False])
def test_zero_feedback_equals_the_plain_head(name, training):
    inputs = 'cls' if name == 'SSDHead' else 'cls+reg'
    base, iff = build_pair(name, init='zero', inputs=inputs)
    base.train(training), iff.train(training)
    x = feats(name)
    with torch.no_grad():
        ref, got = flat(base(x)), flat(iff(x))
    assert len(ref) == len(got)
    for r, g in zip(ref, got):
        assert r.shape == g.shape
        assert torch.equal(r, g)


@pytest.mark.parametrize('name', sorted(HEADS))
def test_feedback_changes_outputs_and_gradients_reach_both_passes(name):
    base, iff = build_pair(name, init='normal', std=0.1)
    if name == 'SSDHead':
        base, iff = build_pair(name, init='normal', std=0.1, inputs='cls')
    x = feats(name)
    out = flat(iff(x))
    assert any(not torch.allclose(a, b) for a, b in zip(out, flat(base(x))))
    sum(t.square().mean() for t in out).backward()
    for conv in iff._feedback_convs():
        assert conv.weight.grad is not None and torch.isfinite(conv.weight.grad).all()
        assert conv.weight.grad.abs().sum() > 0
    head_grad = {n: p.grad.clone() for n, p in iff.named_parameters()
                 if p.grad is not None and not n.startswith('iff_conv')}
    assert head_grad
    # pass 1 contributes to the head's gradient: detaching it changes that gradient
    iff.zero_grad()
    iff.iff_cfg['detach_first_pass'] = True
    sum(t.square().mean() for t in flat(iff(x))).backward()
    assert any(not torch.allclose(head_grad[n], p.grad) for n, p in iff.named_parameters()
               if n in head_grad)


def test_fcos_feeds_back_stride_normalised_distances_in_both_modes():
    _, iff = build_pair('FCOSHead', init='normal', std=0.1)
    x = feats('FCOSHead')
    seen = {}
    original = iff._feedback

    def spy(feat, maps, conv):
        seen.setdefault(iff.training, []).append(maps[1].detach().clone())
        return original(feat, maps, conv)

    iff._feedback = spy
    with torch.no_grad():
        iff.train()
        iff(x)
        iff.eval()
        iff(x)
    for a, b in zip(seen[True], seen[False]):
        assert torch.allclose(a, b, atol=1e-5)


def test_loss_runs_on_the_second_pass_outputs():
    from mmdet.registry import MODELS
    from mmengine.structures import InstanceData
    train_cfg = dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                   min_pos_iou=0, ignore_iof_thr=-1),
                     sampler=dict(type='PseudoSampler'), allowed_border=-1, pos_weight=-1,
                     debug=False)
    # train_cfg arrives as the detector passes it: a keyword next to head
    iff = MODELS.build(dict(type='IFFHead', head=HEADS['RetinaHead'], train_cfg=train_cfg))
    assert iff.train_cfg is not None
    x = feats('RetinaHead')
    gt = InstanceData(bboxes=torch.tensor([[4., 4., 60., 50.]]), labels=torch.tensor([1]))
    metas = [dict(img_shape=(256, 256), pad_shape=(256, 256), scale_factor=1)] * 2
    losses = iff.loss_by_feat(*iff(x), [gt, InstanceData(bboxes=torch.zeros(0, 4),
                                                         labels=torch.zeros(0).long())], metas)
    total = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
    assert torch.isfinite(total) and total > 0


def test_bad_feedback_settings_are_named():
    from mmdet.registry import MODELS
    with pytest.raises(ValueError, match=r"feedback.inputs='box'"):
        MODELS.build(dict(type='IFFHead', head=HEADS['RetinaHead'], feedback=dict(inputs='box')))
    with pytest.raises(ValueError, match='needs a head with centerness'):
        MODELS.build(dict(type='IFFHead', head=HEADS['RetinaHead'],
                          feedback=dict(inputs='cls+reg+centerness')))
    with pytest.raises(KeyError, match=r"unknown keys \['kernel'\]"):
        MODELS.build(dict(type='IFFHead', head=HEADS['RetinaHead'], feedback=dict(kernel=3)))
    with pytest.raises(KeyError, match="'NoSuchHead' is not registered"):
        MODELS.build(dict(type='IFFHead', head=dict(type='NoSuchHead')))
