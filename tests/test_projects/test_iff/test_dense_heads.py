"""IFFHead over every dense-head family of mmdet 3.3: it trains and predicts, or is refused.

Each family's own config (shipped in the mmdet package) is loaded, its dense
head is wrapped as ``dict(type='IFFHead', head=<the head>)`` and the model is
shrunk (ResNet-50/101 backbones become ResNet-18, Hourglass-104 a one-block
hourglass, 64x64 images, no pretrained weights). The detector then runs one
loss step with backward and one predict on a synthetic batch. Heads IFF does
not apply to (the IFF module of arXiv 2006.12708 filters the feature maps a
dense head reads, through maps aligned with them) must be refused at build
time with a one-line TypeError naming the head.
"""
import copy
import functools
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip('mmdet')

# family: (config under mmdet/.mim/configs, options)
#   size: image side; key: the head's key in ``model``; mask: instance masks in the batch;
#   head: changes to the head's config; feedback: IFF settings other than the defaults;
#   slow: only in the slow run
WORKS = {
    'atss': ('atss/atss_r18_fpn_8xb8-amp-lsj-200e_coco.py', {}),
    'autoassign': ('autoassign/autoassign_r50-caffe_fpn_1x_coco.py', {}),
    'boxinst': ('boxinst/boxinst_r50_fpn_ms-90k_coco.py', dict(mask=True)),
    'centernet': ('centernet/centernet_r18_8xb16-crop512-140e_coco.py', {}),
    'centernet-update': ('centernet/centernet-update_r18_fpn_8xb8-amp-lsj-200e_coco.py', {}),
    'centripetalnet': (
        'centripetalnet/centripetalnet_hourglass104_16xb6-crop511-210e-mstest_coco.py',
        dict(size=128)),
    'condinst': ('condinst/condinst_r50_fpn_ms-poly-90k_coco_instance.py', dict(mask=True)),
    'cornernet': ('cornernet/cornernet_hourglass104_8xb6-210e-mstest_coco.py', dict(size=128)),
    # mmcv's CPU deformable conv needs maps of at least 3x3 (P7 of a 288 image): DDOD's DCN
    # towers are switched off at 64x64 and kept in the slow run at 288x288
    'ddod': ('ddod/ddod_r50_fpn_1x_coco.py', dict(head=dict(use_dcn=False))),
    'ddod-dcn': ('ddod/ddod_r50_fpn_1x_coco.py', dict(size=288, slow=True)),
    'fcos': ('fcos/fcos_r18_fpn_gn-head-center-normbbox-centeronreg-giou_8xb8-amp-lsj-200e_coco.py',
             {}),
    'foveabox': ('foveabox/fovea_r50_fpn_4xb4-1x_coco.py', {}),
    'free_anchor': ('free_anchor/freeanchor_r50_fpn_1x_coco.py', {}),
    'fsaf': ('fsaf/fsaf_r50_fpn_1x_coco.py', {}),
    'gfl': ('gfl/gfl_r50_fpn_1x_coco.py', {}),
    'guided_anchoring': ('guided_anchoring/ga-retinanet_r50_fpn_1x_coco.py', {}),
    'lad': ('lad/lad_r50-paa-r101_fpn_2xb8_coco_1x.py', {}),
    'ld': ('ld/ld_r18-gflv1-r101_fpn_1x_coco.py', {}),
    'nas_fcos': ('nas_fcos/nas-fcos_r50-caffe_fpn_nashead-gn-head_4xb4-1x_coco.py', {}),
    'nas_fpn': ('nas_fpn/retinanet_r50_nasfpn_crop640-50e_coco.py', {}),
    'paa': ('paa/paa_r50_fpn_1x_coco.py', {}),
    'pisa': ('pisa/retinanet-r50_fpn_pisa_1x_coco.py', {}),
    'reppoints': ('reppoints/reppoints-moment_r50_fpn-gn_head-gn_1x_coco.py', {}),
    'retinanet': ('retinanet/retinanet_r18_fpn_1x_coco.py', {}),
    'rpn': ('rpn/rpn_r50_fpn_1x_coco.py', dict(key='rpn_head')),
    'rtmdet': ('rtmdet/rtmdet_tiny_8xb32-300e_coco.py', {}),
    'rtmdet-ins': ('rtmdet/rtmdet-ins_tiny_8xb32-300e_coco.py', dict(mask=True)),
    'sabl': ('sabl/sabl-retinanet_r50_fpn_1x_coco.py', {}),
    'ssd': ('ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py', dict(size=96)),
    'tood': ('tood/tood_r50_fpn_1x_coco.py', {}),
    'vfnet': ('vfnet/vfnet_r50_fpn_1x_coco.py', {}),
    'yolact': ('yolact/yolact_r50_1xb8-55e_coco.py', dict(mask=True)),
    # YOLOv3 returns one joint map per level (boxes, objectness, classes): it is fed back whole
    'yolo': ('yolo/yolov3_mobilenetv2_8xb24-320-300e_coco.py', dict(feedback=dict(inputs='all'))),
    'yolof': ('yolof/yolof_r50-c5_8xb8-1x_coco.py', {}),
    'yolox': ('yolox/yolox_tiny_8xb8-300e_coco.py', {}),
}
REFUSED = {
    'conditional_detr': 'conditional_detr/conditional-detr_r50_8xb2-50e_coco.py',
    'dab_detr': 'dab_detr/dab-detr_r50_8xb2-50e_coco.py',
    'ddq': 'ddq/ddq-detr-4scale_r50_8xb2-12e_coco.py',
    'deformable_detr': 'deformable_detr/deformable-detr_r50_16xb2-50e_coco.py',
    'detr': 'detr/detr_r18_8xb2-500e_coco.py',
    'dino': 'dino/dino-4scale_r50_8xb2-12e_coco.py',
    'glip': 'glip/glip_atss_swin-t_a_fpn_dyhead_pretrain_obj365.py',
    'grounding_dino': 'grounding_dino/grounding_dino_r50_scratch_8xb2_1x_coco.py',
}
RESNET18_WIDTH = {256: 64, 512: 128, 1024: 256, 2048: 512}


@pytest.fixture(autouse=True)
def scope():
    import mmlean.projects.iff  # noqa: F401  (first: mmlean.compat)
    # isort: split
    from mmdet.utils import register_all_modules
    from mmengine.logging import MessageHub, MMLogger
    register_all_modules(init_default_scope=True)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init_weights logs every parameter
    hub = MessageHub.get_current_instance()
    hub.update_info('epoch', 0)  # TOOD reads it in its loss
    hub.update_info('iter', 0)  # BoxInst too


def config(path):
    import mmdet
    from mmengine.config import Config
    return Config.fromfile(osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', path))


def no_pretrained(cfg):
    """Drop every pretrained checkpoint (nothing may be downloaded)."""
    if isinstance(cfg, dict):
        for key in list(cfg):
            value = cfg[key]
            if key in ('pretrained', 'teacher_ckpt'):
                cfg[key] = None
            elif key == 'init_cfg' and isinstance(value, dict) and 'checkpoint' in value:
                cfg[key] = None
            else:
                no_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            no_pretrained(value)


def shrink(model):
    """ResNet-50/101 -> ResNet-18 (and its neck's input widths); Hourglass-104 -> one block;
    NAS-FPN: one stack."""
    for prefix in ('', 'teacher_'):
        backbone, neck = model.get(prefix + 'backbone'), model.get(prefix + 'neck')
        if backbone and backbone['type'] in ('ResNet', 'ResNetV1d') and backbone['depth'] > 34:
            backbone.update(depth=18, dcn=None, stage_with_dcn=None)
            backbone.pop('dcn'), backbone.pop('stage_with_dcn')
            widths = neck['in_channels']
            neck['in_channels'] = (RESNET18_WIDTH[widths] if isinstance(widths, int)
                                   else [RESNET18_WIDTH[w] for w in widths])
        if neck and neck['type'] == 'NASFPN':
            neck['stack_times'] = 1
        if backbone and backbone['type'] == 'HourglassNet':
            backbone.update(stage_channels=(16, ) * 6, stage_blocks=(1, ) * 6, feat_channel=32)
            model['bbox_head']['in_channels'] = 32
    if isinstance(model.get('teacher_config'), str):  # LD: the teacher from its own config
        teacher = config(model['teacher_config'].split('configs/')[-1]).model
        no_pretrained(teacher)
        shrink(teacher)
        model['teacher_config'] = dict(model=teacher)


def build_detector(path, key='bbox_head', feedback=None, head=None):
    from mmdet.registry import MODELS
    cfg = config(path).model
    cfg[key].update(head or {})
    no_pretrained(cfg)
    if cfg.get('data_preprocessor', {}).get('batch_augments'):
        cfg.data_preprocessor.batch_augments = None  # YOLOX's multi-scale resize
    shrink(cfg)
    head_cfg = copy.deepcopy(cfg[key])
    cfg[key] = dict(type='IFFHead', head=cfg[key], feedback=feedback)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model, head_cfg


@pytest.fixture
def cpu_friendly(monkeypatch):
    """Two stand-ins for things the plain heads also stumble on here.

    Guided anchoring masks its convs at test time and mmcv's masked_conv2d has
    no CPU kernel: the convs are computed densely (same values where unmasked).
    PAA / LAD fit a 2-component GMM to the candidates' scores, which a
    random-init network on a tiny batch can make collapse ("ill-defined
    empirical covariance"): the fit gets a larger covariance floor.
    """
    from mmcv.ops import MaskedConv2d
    from mmdet.models.dense_heads import paa_head
    from sklearn.mixture import GaussianMixture
    monkeypatch.setattr(MaskedConv2d, 'forward',
                        lambda self, x, mask=None: torch.nn.Conv2d.forward(self, x))
    monkeypatch.setattr(paa_head, 'skm', SimpleNamespace(
        GaussianMixture=functools.partial(GaussianMixture, reg_covar=1e-3)))


@pytest.mark.parametrize('family', [pytest.param(f, marks=pytest.mark.slow)
                                    if WORKS[f][1].get('slow') else f for f in sorted(WORKS)])
def test_iff_trains_and_predicts(family, cpu_friendly):
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs

    from mmlean.projects.iff.head import SUPPORTED_HEADS
    path, opts = WORKS[family]
    key = opts.get('key', 'bbox_head')
    model, head_cfg = build_detector(path, key, opts.get('feedback'), opts.get('head'))
    head = model.bbox_head
    assert type(head).__name__ == 'IFF' + head_cfg['type'] and head_cfg['type'] in SUPPORTED_HEADS
    if head_cfg['type'] == 'SSDHead':
        head.loss_cls = None  # mmdet 3.3's SSDHead cannot predict without it (mmdet issue 11780)

    # the plain head's checkpoint loads: only the feedback conv is new
    plain = MODELS.build(dict(head_cfg, train_cfg=model.train_cfg.get(key.replace('_head', ''))
                              if key == 'rpn_head' else head.train_cfg, test_cfg=head.test_cfg))
    missing, unexpected = head.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith('iff_conv') for k in missing), missing

    size = opts.get('size', 64)
    batch = demo_mm_inputs(2, (3, size, size), num_items=[3, 1], num_classes=3,
                           with_mask=opts.get('mask', False))
    model.train()
    data = model.data_preprocessor(batch, True)
    loss, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert torch.isfinite(loss), loss
    loss.backward()
    grads = [conv.weight.grad for conv in head._feedback_convs()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0  # pass 2, which feeds the loss, went through it

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 2
    for result in results:
        assert torch.isfinite(result.pred_instances.bboxes).all()


@pytest.mark.parametrize('family', sorted(REFUSED))
def test_iff_is_refused_at_build_time(family):
    from mmdet.registry import MODELS
    head = config(REFUSED[family]).model.bbox_head
    with pytest.raises(TypeError) as err:
        MODELS.build(dict(type='IFFHead', head=head))
    msg = str(err.value)
    assert f"does not support {head['type']}:" in msg and 'supported: RetinaHead' in msg
    assert '\n' not in msg


def test_joint_output_heads_need_all_inputs():
    from mmdet.registry import MODELS
    head = config(WORKS['yolo'][0]).model.bbox_head
    with pytest.raises(ValueError, match="returns 1 per level.*use inputs='all'"):
        MODELS.build(dict(type='IFFHead', head=head))


def test_non_aligned_dense_heads_are_refused():
    """SOLO's outputs are per grid cell (S x S), not per pixel of its input level."""
    from mmdet.registry import MODELS
    head = config('solo/solo_r50_fpn_1x_coco.py').model.mask_head
    with pytest.raises(TypeError, match='does not support SOLOHead: its first output is not '
                                        'spatially aligned'):
        MODELS.build(dict(type='IFFHead', head=head))
    # Cascade RPN runs its stages in its own loss/predict and has no forward to wrap
    model = config('cascade_rpn/cascade-rpn_r50-caffe_fpn_1x_coco.py').model
    for stage in model.rpn_head.stages:
        stage.pop('sampling')  # the shipped config's key, which mmdet 3.3's stage head rejects
    with pytest.raises(TypeError, match='not support CascadeRPNHead: its forward does not run'):
        MODELS.build(dict(type='IFFHead', head=model.rpn_head, num_classes=1,
                          train_cfg=model.train_cfg.rpn, test_cfg=model.test_cfg.rpn))


SMALL = dict(num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1)
SMALL_HEADS = {
    'GFLHead': dict(SMALL, type='GFLHead', norm_cfg=None, anchor_generator=dict(
        type='AnchorGenerator', ratios=[1.0], octave_base_scale=8, scales_per_octave=1,
        strides=[8, 16, 32, 64, 128])),
    'VFNetHead': dict(SMALL, type='VFNetHead', norm_cfg=None, strides=[8, 16, 32, 64, 128]),
    'RepPointsHead': dict(SMALL, type='RepPointsHead', point_feat_channels=8, norm_cfg=None),
    'YOLOXHead': dict(SMALL, type='YOLOXHead'),
}


def small_feats(seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(2, 8, s, s, generator=g) for s in (16, 8, 4, 4, 4))


@pytest.mark.parametrize('name', sorted(SMALL_HEADS))
def test_feedback_width_is_what_the_head_returns_and_build_is_side_effect_free(name):
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    plain = MODELS.build(copy.deepcopy(SMALL_HEADS[name]))
    torch.manual_seed(0)
    iff = MODELS.build(dict(type='IFFHead', head=SMALL_HEADS[name]))
    # the probe drew no random numbers and left every buffer and mode as built
    plain_state, iff_state = plain.state_dict(), iff.state_dict()
    for key, value in plain_state.items():
        assert torch.equal(value, iff_state[key]), key
    assert all(m.training for m in iff.modules())
    torch.manual_seed(0)
    again = MODELS.build(dict(type='IFFHead', head=SMALL_HEADS[name]))
    assert torch.equal(again.iff_conv.weight, iff.iff_conv.weight)  # deterministic init
    with torch.no_grad():
        outs = plain.train()(small_feats())
    expected = sum(out[0].shape[1] for out in outs[:2])  # cls + reg maps of level 0, as returned
    assert iff.iff_conv.in_channels == expected
    if name == 'GFLHead':  # the regression is a distribution: 4 * (reg_max + 1) channels
        assert expected == 3 + 4 * (plain.reg_max + 1)


@pytest.mark.parametrize('name', ['VFNetHead', 'RepPointsHead'])
def test_heads_with_test_time_outputs_feed_back_the_same_maps_in_both_modes(name):
    """VFNet and RepPoints return other maps in eval mode; pass 1 feeds back their training form."""
    from mmdet.registry import MODELS
    iff = MODELS.build(dict(type='IFFHead', head=SMALL_HEADS[name], feedback=dict(std=0.1)))
    seen = {}
    original = iff._feedback

    def spy(feat, maps, conv):
        seen.setdefault(iff.training, []).append([m.detach().clone() for m in maps])
        return original(feat, maps, conv)

    iff._feedback = spy
    with torch.no_grad():
        iff.train()
        iff(small_feats())
        iff.eval()
        outs = iff(small_feats())
    assert not iff.training and all(not m.training for m in iff.modules())
    assert len(outs) == 2  # the last pass ran in eval mode: (cls, refined boxes)
    for train_maps, eval_maps in zip(seen[True], seen[False]):
        for a, b in zip(train_maps, eval_maps):
            assert torch.allclose(a, b, atol=1e-5)
