"""RBNN algorithm over MMPretrain classifiers, its hook, and DDP consistency."""
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import mmlean  # noqa: F401
from mmlean.binary import BinaryConv2d, RBNNConv2d, XNORConv2d

pytest.importorskip('mmrazor')
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmrazor.registry import MODELS  # noqa: E402

import mmlean.projects.rbnn  # noqa: E402,F401
from mmlean.projects.rbnn import RBNN, RBNNHook  # noqa: E402
from mmlean.utils.config import load_config  # noqa: E402


def test_mix_and_match_on_mmpretrains_own_resnet18_config(tmp_path):
    """The algorithm wraps the model of mmpretrain's resnet18_8xb32_in1k config."""
    cfg_file = tmp_path / 'rbnn_on_mmpretrain_r18.py'
    cfg_file.write_text(
        "_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']\n"
        "custom_imports = dict(imports=['mmlean.projects.rbnn'], allow_failed_imports=False)\n"
        "model = dict(_delete_=True, _scope_='mmrazor', type='RBNN',\n"
        "             architecture={{_base_.model}})\n")
    cfg = load_config(str(cfg_file))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    assert isinstance(model, RBNN)
    convs = [(n, m) for n, m in model.architecture.named_modules() if isinstance(m, nn.Conv2d)]
    binary = [n for n, m in convs if isinstance(m, RBNNConv2d)]
    fp = [n for n, m in convs if not isinstance(m, RBNNConv2d)]
    assert fp == ['backbone.conv1']  # the stem stays full precision
    assert len(binary) == 16 + 3  # 16 3x3 convs + 3 downsample 1x1 convs
    assert isinstance(model.architecture.head.fc, nn.Linear)  # FC stays FP
    out = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert out.shape == (1, 1000)


def test_keep_fp_patterns_and_no_conv_error():
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='BiRealResNet', depth=18),
                neck=dict(type='PoolBatchNormNeck', in_channels=512),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
    model = MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch,
                              keep_fp=['*shortcut*']))
    assert not any('shortcut' in n for n in model.binarized)
    assert len(model.binarized) == 16
    with pytest.raises(ValueError, match='no conv to binarize'):
        MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=dict(
            type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64)),
            keep_fp=['*']))


MOBILENET_V2 = dict(type='ImageClassifier', backbone=dict(type='MobileNetV2', widen_factor=1.0),
                    neck=dict(type='GlobalAveragePooling'),
                    head=dict(type='LinearClsHead', num_classes=10, in_channels=1280))


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def build_logged(cfg):
    """Build ``cfg`` and return (model, the RBNN log lines of mmengine's current logger)."""
    logger = MMLogger.get_current_instance()
    records = Records()
    logger.addHandler(records)
    level = logger.level  # an earlier test's runner may have left it at WARNING
    logger.setLevel(logging.INFO)
    try:
        model = MODELS.build(cfg)
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    return model, [m for m in records.messages if m.startswith('RBNN:')]


def test_mobilenet_v2_depthwise_convs_stay_fp_and_are_logged_once():
    init_default_scope('mmpretrain')
    model, lines = build_logged(dict(_scope_='mmrazor', type='RBNN', architecture=MOBILENET_V2))
    convs = [(n, m) for n, m in model.architecture.named_modules() if isinstance(m, nn.Conv2d)]
    fp = [(n, m) for n, m in convs if not isinstance(m, BinaryConv2d)]
    assert len(model.binarized) == 34 and len(fp) == 18
    assert fp[0][0] == 'backbone.conv1.conv'
    assert all(m.groups == m.in_channels > 1 for _, m in fp[1:])  # the 17 depthwise convs
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith('RBNN: 34 convs binarized (RBNNConv2d); 18 kept full precision: '
                           '17 grouped/depthwise (backbone.layer1.0.conv.0.conv, ')
    assert '... +14 more), 1 first conv (backbone.conv1.conv)' in line
    assert 'binarize_grouped=True' in line


def test_binarize_grouped_option_binarizes_depthwise_convs():
    init_default_scope('mmpretrain')
    model, lines = build_logged(dict(_scope_='mmrazor', type='RBNN', architecture=MOBILENET_V2,
                                     binarize_grouped=True))
    assert len(model.binarized) == 34 + 17
    dw = model.architecture.get_submodule('backbone.layer2.0.conv.1.conv')
    assert isinstance(dw, RBNNConv2d) and dw.groups == dw.in_channels
    assert (dw.n1, dw.n2) == (3, 3)  # per-group filter: 1 x 3 x 3
    assert lines == ['RBNN: 51 convs binarized (RBNNConv2d); 1 kept full precision: '
                     '1 first conv (backbone.conv1.conv)']
    out = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert out.shape == (2, 10)


def test_conv_type_comes_from_the_registry():
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    model = MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch,
                              conv_cfg=dict(type='XNORConv2d', binary_activation=True)))
    convs = [m for m in model.modules() if isinstance(m, BinaryConv2d)]
    assert convs and all(type(m) is XNORConv2d and m.binary_activation for m in convs)
    model.init_weights()  # reset_scale is a no-op without a learnable scale
    assert model(torch.randn(1, 3, 32, 32), mode='tensor').shape == (1, 10)
    for bad in ('NoSuchConv2d', 'Conv2d', 'mmlean.binary.standardize_per_sample'):
        with pytest.raises(ValueError, match='conv_cfg.type'):
            MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch,
                              conv_cfg=dict(type=bad)))


class FakeRunner:
    def __init__(self, model, epoch, max_epochs):
        self.model, self.epoch, self.max_epochs = model, epoch, max_epochs


def small_rbnn():
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8),
                neck=dict(type='PoolBatchNormNeck', in_channels=64),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    return MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch))


def test_hook_sets_k_t_and_rotates_every_interval():
    model = small_rbnn()
    convs = [m for m in model.modules() if isinstance(m, RBNNConv2d)]
    hook = RBNNHook(rotation_interval=2)
    before = convs[0].R1.clone()
    hook.before_train_epoch(FakeRunner(model, 1, 10))  # odd epoch: no rotation
    assert torch.equal(convs[0].R1, before)
    assert convs[0].t == pytest.approx(10 ** (-2 + 3 * 0.1))
    assert convs[0].k == pytest.approx(1 / convs[0].t)
    hook.before_train_epoch(FakeRunner(model, 2, 10))
    assert not torch.equal(convs[0].R1, before)
    eye = torch.eye(convs[0].R1.shape[0])
    assert torch.allclose(convs[0].R1.t() @ convs[0].R1, eye, atol=1e-5)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_rotations_identical_on_every_rank_under_ddp(tmp_path):
    worker = Path(__file__).with_name('ddp_rotation_worker.py')
    subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
                    '--master_port', str(free_port()), str(worker), str(tmp_path)],
                   check=True, timeout=600)
    r0 = torch.load(tmp_path / 'rank0.pth', weights_only=True)
    r1 = torch.load(tmp_path / 'rank1.pth', weights_only=True)
    assert r0.keys() == r1.keys() and len(r0) == 2 * 6
    for key in r0:
        assert torch.equal(r0[key], r1[key]), key
