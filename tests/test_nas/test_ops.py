"""Binarized DARTS ops: explicit +-1 compositions, the FP twins of mmrazor's ops, shapes."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmlean  # noqa: F401
from mmlean.binary import XNORConv2d
from mmlean.nas.ops import BinaryDilConv, BinarySepConv, BinarySkipConnect

C = 6


def pm1(t):
    """sign with 0 -> +1 (mmlean's convention), written independently of mmlean.binary."""
    return (t >= 0).to(t.dtype) * 2 - 1


def xnor_conv(x, conv, w1a1, **kw):
    """``alpha * conv(a, sign(W))``, alpha = mean|W| over the tensor (BNAS's XNOR)."""
    w = conv.weight
    if w1a1:  # activations binarized against the per-sample mean
        x = pm1(x - x.mean(dim=(1, 2, 3), keepdim=True))
        assert set(x.unique().tolist()) <= {-1.0, 1.0}
    return F.conv2d(x, pm1(w), None, **kw) * w.abs().mean()


def bn(x, m):
    return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)


def randomize_bn(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g))
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(n, generator=g))
            m.bias.data.copy_(torch.randn(n, generator=g))


def ref_unit(x, seq, design, k, stride, dilation, w1a1):
    """One dil/sep unit written out: (ReLU) -> dw -> (BN) -> 1x1 -> BN."""
    dw, pw = [m for m in seq if isinstance(m, nn.Conv2d)]
    bns = [m for m in seq if isinstance(m, nn.BatchNorm2d)]
    if design == 'darts':
        x = F.relu(x)
    y = xnor_conv(x, dw, w1a1, stride=stride, padding=dilation * (k - 1) // 2, dilation=dilation,
                  groups=dw.in_channels)
    if design == 'cpnas':
        y = bn(y, bns[0])
    return bn(xnor_conv(y, pw, w1a1), bns[-1])


def conv_cfg(w1a1):
    return dict(type='XNORConv2d', binary_activation=w1a1)


CASES = [(d, k, s, a) for d in ('darts', 'cpnas') for k in (3, 5) for s in (1, 2)
         for a in (False, True)]


@pytest.mark.parametrize('design,k,stride,w1a1', CASES)
def test_dil_conv_is_the_explicit_pm1_composition(design, k, stride, w1a1):
    torch.manual_seed(0)
    op = BinaryDilConv(in_channels=C, out_channels=C + 2, stride=stride, kernel_size=k,
                       design=design, conv_cfg=conv_cfg(w1a1)).eval()
    randomize_bn(op)
    assert all(isinstance(m, XNORConv2d) for m in op.conv1 if isinstance(m, nn.Conv2d))
    x = torch.randn(2, C, 10, 10)
    expected = ref_unit(x, op.conv1, design, k, stride, 2, w1a1)
    torch.testing.assert_close(op(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('design,k,stride,w1a1', CASES)
def test_sep_conv_is_two_explicit_units(design, k, stride, w1a1):
    torch.manual_seed(1)
    op = BinarySepConv(in_channels=C, out_channels=C + 2, stride=stride, kernel_size=k,
                       design=design, conv_cfg=conv_cfg(w1a1)).eval()
    randomize_bn(op)
    x = torch.randn(2, C, 10, 10)
    y = ref_unit(x, op.conv1, design, k, stride, 1, w1a1)
    expected = ref_unit(y, op.conv2, design, k, 1, 1, w1a1)
    assert op.conv1[-1].num_features == C and op.conv2[-1].num_features == C + 2
    torch.testing.assert_close(op(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('w1a1', [False, True])
def test_skip_connect_stride2_is_a_binary_factorized_reduce(w1a1):
    torch.manual_seed(2)
    op = BinarySkipConnect(in_channels=C, out_channels=8, stride=2,
                           conv_cfg=conv_cfg(w1a1)).eval()
    randomize_bn(op)
    x = torch.randn(2, C, 10, 10)
    r = F.relu(x)
    cat = torch.cat([xnor_conv(r, op.conv1, w1a1, stride=2),
                     xnor_conv(r[:, :, 1:, 1:], op.conv2, w1a1, stride=2)], dim=1)
    torch.testing.assert_close(op(x), bn(cat, op.bn), rtol=1e-5, atol=1e-5)


def test_skip_connect_stride1_is_the_identity():
    op = BinarySkipConnect(in_channels=C, out_channels=C, stride=1, use_drop_path=True)
    x = torch.randn(2, C, 5, 5)
    assert op(x) is x
    assert list(op.parameters()) == [] and op.drop_path is None  # DARTS never drops identity


TWINS = [('DartsDilConv', BinaryDilConv, 3, 1), ('DartsDilConv', BinaryDilConv, 5, 2),
         ('DartsSepConv', BinarySepConv, 3, 2), ('DartsSepConv', BinarySepConv, 5, 1),
         ('DartsSkipConnect', BinarySkipConnect, None, 2)]


@pytest.mark.parametrize('name,cls,k,stride', TWINS)
def test_fp_twin_computes_mmrazors_op(name, cls, k, stride):
    """conv_cfg=Conv2d: same module names, same state dict, bit-identical outputs."""
    from mmrazor.models.architectures import ops as razor_ops
    kw = dict(in_channels=C, out_channels=C, stride=stride)
    if k is not None:
        kw['kernel_size'] = k
    torch.manual_seed(3)
    theirs = getattr(razor_ops, name)(**kw)
    ours = cls(conv_cfg=dict(type='Conv2d'), **kw)
    assert all(type(m) is nn.Conv2d for m in ours.modules() if isinstance(m, nn.Conv2d))
    randomize_bn(theirs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(3, C, 8, 8)
    for mode in (True, False):  # batch statistics, then running statistics
        theirs.train(mode)
        ours.train(mode)
        assert torch.equal(ours(x), theirs(x))


@pytest.mark.parametrize('k', [3, 5])
@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('design', ['darts', 'cpnas'])
@pytest.mark.parametrize('size', [8, 9])
def test_output_shapes(k, stride, design, size):
    x = torch.randn(2, C, size, size)
    out = -(-size // stride)  # kept at stride 1, halved (ceil) at stride 2
    for cls in (BinaryDilConv, BinarySepConv):
        op = cls(in_channels=C, out_channels=10, stride=stride, kernel_size=k, design=design)
        assert op(x).shape == (2, 10, out, out)
    if size % 2 == 0 or stride == 1:  # FactorizedReduce needs an even size, as in DARTS
        op = BinarySkipConnect(in_channels=C, out_channels=C if stride == 1 else 10,
                               stride=stride)
        assert op(x).shape == (2, C if stride == 1 else 10, out, out)


def test_gradients_reach_the_latent_weights():
    op = BinarySepConv(in_channels=C, out_channels=C, stride=2, kernel_size=3)
    op(torch.randn(2, C, 8, 8)).sum().backward()
    for m in op.modules():
        if isinstance(m, XNORConv2d):
            assert m.weight.grad is not None and m.weight.grad.abs().sum() > 0


def test_drop_path_only_in_training():
    from mmcv.cnn.bricks import DropPath
    op = BinaryDilConv(in_channels=C, out_channels=C, kernel_size=3, use_drop_path=True,
                       drop_path_prob=0.5)
    assert isinstance(op.drop_path, DropPath) and op.drop_path.drop_prob == 0.5
    x = torch.randn(64, C, 4, 4)
    op.train()
    y = op(x)
    dropped = (y.flatten(1).abs().sum(1) == 0).float().mean()
    assert 0.2 < dropped < 0.8
    op.eval()
    assert torch.equal(op(x), op.conv1(x))


def test_registered_in_the_root_registry_for_every_scope():
    from mmengine.registry import MODELS as ROOT
    from mmpretrain.registry import MODELS as PRETRAIN
    from mmrazor.registry import MODELS as RAZOR
    for registry in (ROOT, RAZOR, PRETRAIN):
        for name in ('BinaryDilConv', 'BinarySepConv', 'BinarySkipConnect'):
            assert registry.get(name) is not None, (registry.name, name)
    mutable = RAZOR.build(dict(
        type='DiffMutableOP', _scope_='mmrazor',
        candidates=dict(sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3),
                        skip_connect=dict(type='BinarySkipConnect')),
        module_kwargs=dict(in_channels=C, out_channels=C, stride=2)))
    assert isinstance(mutable._candidates['sep_conv_3x3'], BinarySepConv)


@pytest.mark.parametrize('cls,kw,match', [
    (BinaryDilConv, dict(kernel_size=3, design='xnor'), 'design'),
    (BinarySepConv, dict(kernel_size=4), 'kernel_size'),
    (BinaryDilConv, dict(kernel_size=3, stride=3), 'stride'),
    (BinarySkipConnect, dict(stride=2, out_channels=7), 'even'),
    (BinarySkipConnect, dict(stride=1, out_channels=7), 'in_channels == out_channels'),
])
def test_bad_arguments_are_named(cls, kw, match):
    kw = dict(dict(in_channels=C, out_channels=C, stride=1), **kw)
    with pytest.raises(ValueError, match=match):
        cls(**kw)
