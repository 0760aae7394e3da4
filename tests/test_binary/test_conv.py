"""BinaryConv2d / RBNNConv2d / XNORConv2d forward and backward against the formulas of the
official RBNN code (cifar/modules/binarized_modules.py) and BNAS code (module/Conv_XNOR.py);
groups, dilation, ``output_scale`` and the registry builds."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmlean  # noqa: F401  (compat patches before mmcv / mmrazor)
from mmlean.binary import BinaryConv2d, RBNNConv2d, XNORConv2d, binary_sign


def manual_rbnn_forward(conv: RBNNConv2d, x: torch.Tensor) -> torch.Tensor:
    """RBNN forward written out from the official code, step by step."""
    w = conv.weight.detach()
    cout = w.shape[0]
    w1 = w - w.view(cout, -1).mean(-1).view(cout, 1, 1, 1)
    w2 = w1 / w1.view(cout, -1).std(-1).view(cout, 1, 1, 1)
    X = w2.view(cout, conv.n1, conv.n2)
    rw = (conv.R1.t() @ X @ conv.R2).view_as(w)
    w3 = w2 + torch.abs(torch.sin(conv.rotate_angle.detach())) * (rw - w2)
    a1 = x - x.view(x.size(0), -1).mean(-1).view(-1, 1, 1, 1)
    a2 = a1 / a1.view(x.size(0), -1).std(-1).view(-1, 1, 1, 1)
    out = F.conv2d(torch.where(a2 < 0, -1.0, 1.0), torch.where(w3 < 0, -1.0, 1.0),
                   None, conv.stride, conv.padding, conv.dilation, conv.groups)
    return out * conv.scale.detach()


def test_rbnn_forward_matches_the_official_formulas():
    torch.manual_seed(0)
    conv = RBNNConv2d(16, 32, 3, padding=1, bias=False, seed=0)
    conv.update_rotation()
    x = torch.randn(4, 16, 8, 8)
    assert torch.allclose(conv(x), manual_rbnn_forward(conv, x), atol=1e-5)


def test_rbnn_gradients_follow_the_official_code():
    torch.manual_seed(1)
    conv = RBNNConv2d(8, 8, 3, padding=1, bias=False, seed=1)
    conv.k, conv.t = 10.0, 0.1
    x = torch.randn(2, 8, 6, 6, requires_grad=True)
    conv(x).sum().backward()
    for p in (conv.weight, conv.rotate_angle, conv.scale):
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert conv.R1.grad is None  # rotations are buffers, not learned by SGD

    # activation backward uses k = 1 and t = max(t, 1): with t = 0.1 the
    # gradient window is |a2| < sqrt(2) (t = 1), not |a2| < sqrt(2)/0.1
    a = torch.randn(1, 8, 6, 6)
    a2 = (a - a.mean()) / (a - a.mean()).std()
    sat = a2.abs() > math.sqrt(2)
    conv.zero_grad()
    a_in = a.clone().requires_grad_(True)
    captured = {}

    def hook(grad):
        captured['g'] = grad

    # grad w.r.t. the standardized activation
    orig = conv.prepare_activation

    def prepare(x):
        y = orig(x)
        y.register_hook(hook)
        return y

    conv.prepare_activation = prepare
    conv(a_in).sum().backward()
    g = captured['g']
    assert (g[sat] == 0).all()
    assert (g[~sat] != 0).float().mean() > 0.5


def test_latent_weight_gradient_scales_with_one_minus_alpha():
    torch.manual_seed(2)
    conv = RBNNConv2d(8, 8, 3, padding=1, bias=False, seed=2)
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        conv.rotate_angle.fill_(math.pi / 2)  # alpha = |sin| = 1: full rotation
    conv(x).sum().backward()
    full = conv.weight.grad.abs().max().item()
    conv.zero_grad()
    with torch.no_grad():
        conv.rotate_angle.fill_(0.0)  # alpha = 0: no rotation
    conv(x).sum().backward()
    none = conv.weight.grad.abs().max().item()
    assert full < 1e-4 * none  # d w3 / d w2 = 1 - alpha


def test_rotation_disabled_gives_plain_standardized_weight():
    conv = RBNNConv2d(4, 4, 3, rotation=False, seed=0)
    w2 = conv.standardized_weight()
    assert torch.equal(conv.binary_weight(), binary_sign(w2.detach()))


def test_buffers_and_state_dict_carry_rotations():
    conv = RBNNConv2d(16, 16, 3, seed=3)
    conv.update_rotation()
    sd = conv.state_dict()
    assert {'R1', 'R2', 'rotate_angle', 'scale', 'weight'} <= set(sd)
    other = RBNNConv2d(16, 16, 3, seed=4)
    assert not torch.equal(other.R1, conv.R1)
    other.load_state_dict(sd)
    assert torch.equal(other.R1, conv.R1) and torch.equal(other.R2, conv.R2)


def test_from_conv_keeps_geometry_and_weights():
    base = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
    for cls in (BinaryConv2d, RBNNConv2d):
        conv = cls.from_conv(base)
        assert conv.stride == (2, 2) and conv.padding == (1, 1)
        assert torch.equal(conv.weight, base.weight)
        assert torch.allclose(conv.scale.flatten(), base.weight.abs().mean((1, 2, 3)))


def test_binary_conv_rejects_non_zero_padding_modes():
    for cls in (BinaryConv2d, RBNNConv2d, XNORConv2d):
        with pytest.raises(ValueError, match='zero padding'):
            cls(8, 8, 3, padding=1, padding_mode='reflect')


# --- groups and dilation --------------------------------------------------------

GEOMETRIES = [  # (in, out, kernel, stride, padding, dilation, groups)
    (8, 16, 3, 1, 1, 1, 1),
    (8, 16, 3, 1, 2, 2, 1),
    (8, 12, 3, 2, 1, 1, 4),
    (8, 8, 3, 1, 2, 2, 8),  # depthwise, dilated
    (6, 6, 5, 2, 2, 1, 6),  # depthwise 5x5, strided
]


@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_binary_conv_matches_conv2d_on_explicit_pm1_values(geometry):
    """With +-1 inputs, +-1-signed latent weights and a zero threshold, the
    forward is F.conv2d of those +-1 tensors (same groups / dilation) * scale + bias."""
    cin, cout, k, stride, pad, dil, groups = geometry
    g = torch.Generator().manual_seed(sum(geometry))
    conv = BinaryConv2d(cin, cout, k, stride=stride, padding=pad, dilation=dil,
                        groups=groups, standardize_activation=False)
    w_pm1 = torch.randint(0, 2, conv.weight.shape, generator=g).float() * 2 - 1
    x_pm1 = torch.randint(0, 2, (2, cin, 9, 9), generator=g).float() * 2 - 1
    with torch.no_grad():
        # latent weights of the chosen signs and varied magnitudes
        conv.weight.copy_(w_pm1 * (0.1 + torch.rand(conv.weight.shape, generator=g)))
        conv.scale.uniform_(0.5, 2.0, generator=g)
        conv.bias.normal_(generator=g)
    expected = F.conv2d(x_pm1, w_pm1, None, stride, pad, dil, groups)
    expected = expected * conv.scale.view(1, -1, 1, 1) + conv.bias.view(1, -1, 1, 1)
    assert torch.equal(conv.binary_weight(), w_pm1)
    assert torch.allclose(conv(x_pm1), expected, atol=1e-5)


@pytest.mark.parametrize('cls', [BinaryConv2d, RBNNConv2d, XNORConv2d])
@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_forward_is_the_deploy_contract(cls, geometry):
    """out = conv(sign(x - thr), binary_weight()) * output_scale() + bias, the
    formula the bit-packed engine evaluates, for every class and geometry."""
    cin, cout, k, stride, pad, dil, groups = geometry
    torch.manual_seed(sum(geometry))
    kwargs = dict(binary_activation=True)
    if cls is RBNNConv2d:
        kwargs['seed'] = 0
    conv = cls(cin, cout, k, stride=stride, padding=pad, dilation=dil, groups=groups,
               **kwargs)
    if cls is RBNNConv2d:
        conv.update_rotation()
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(3, cin, 10, 10) + 0.3
    thr = conv.activation_threshold(x).view(-1, 1, 1, 1)
    xb = binary_sign(x - thr)
    sums = F.conv2d(xb, conv.binary_weight(), None, stride, pad, dil, groups)
    assert torch.equal(sums, sums.round())  # integer +-1 sums
    scale = conv.output_scale()
    assert scale.shape == (cout, )
    expected = sums * scale.view(1, -1, 1, 1) + conv.bias.view(1, -1, 1, 1)
    assert torch.allclose(conv(x), expected, atol=1e-4)


def test_rbnn_grouped_rotation_uses_the_per_group_filter_size():
    conv = RBNNConv2d(8, 16, 3, padding=1, groups=4, bias=False, seed=0)  # filter: 2x3x3
    assert (conv.n1, conv.n2) == (3, 6)
    assert conv.R1.shape == (3, 3) and conv.R2.shape == (6, 6)
    conv.update_rotation()
    assert conv.rotated_weight().shape == conv.weight.shape == (16, 2, 3, 3)
    eye = torch.eye(6)
    assert torch.allclose(conv.R2.t() @ conv.R2, eye, atol=1e-5)
    x = torch.randn(2, 8, 7, 7)
    assert torch.allclose(conv(x), manual_rbnn_forward(conv, x), atol=1e-5)

    dw = RBNNConv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False, seed=1)  # 1x3x3
    assert (dw.n1, dw.n2) == (3, 3)
    dw.update_rotation()
    assert torch.allclose(dw(x), manual_rbnn_forward(dw, x), atol=1e-5)
    dw(x).sum().backward()
    assert dw.weight.grad.abs().sum() > 0 and dw.rotate_angle.grad is not None

    with pytest.raises(ValueError, match='at least 2 weights'):
        RBNNConv2d(8, 8, 1, groups=8)  # 1x1 depthwise: one weight per filter


# --- XNOR (BNAS) -------------------------------------------------------------------
@pytest.mark.parametrize('groups, dilation', [(1, 1), (2, 2), (8, 1)])
def test_xnor_forward_is_alpha_times_conv_of_signs(groups, dilation):
    torch.manual_seed(groups + dilation)
    conv = XNORConv2d(8, 8, 3, padding=dilation, dilation=dilation, groups=groups)
    assert conv.scale is None and 'scale' not in conv.state_dict()
    w = conv.weight.detach()
    alpha = w.abs().mean()  # one scalar over the whole tensor
    assert torch.equal(conv.output_scale(), alpha.expand(8))
    bias = conv.bias.detach().view(1, -1, 1, 1)
    x = torch.randn(2, 8, 7, 7)
    sign_w = torch.where(w < 0, -1.0, 1.0)
    w1a32 = alpha * F.conv2d(x, sign_w, None, 1, dilation, dilation, groups) + bias
    assert not conv.binary_activation  # W1A32 by default, as the official Conv_XNOR
    assert torch.allclose(conv(x), w1a32, atol=1e-5)

    conv.binary_activation = True  # W1A1: sign(x - per-sample mean)
    xb = torch.where(x < x.mean(dim=(1, 2, 3), keepdim=True), -1.0, 1.0)
    w1a1 = alpha * F.conv2d(xb, sign_w, None, 1, dilation, dilation, groups) + bias
    assert torch.allclose(conv(x), w1a1, atol=1e-5)
    conv.standardize_activation = False  # W1A1 with a zero threshold: sign(x)
    xb = torch.where(x < 0, -1.0, 1.0)
    w1a1 = alpha * F.conv2d(xb, sign_w, None, 1, dilation, dilation, groups) + bias
    assert torch.allclose(conv(x), w1a1, atol=1e-5)


@pytest.mark.parametrize('groups', [1, 4])
def test_xnor_weight_gradient_is_the_official_formula(groups):
    """dL/dW = g / numel(W) + alpha * g * 1_{|W| <= 1} with g = dL/dW_b
    (official Sigh_XNOR.backward); g comes from a separate conv on a leaf W_b."""
    torch.manual_seed(3)
    conv = XNORConv2d(8, 8, 3, padding=1, groups=groups, bias=False)
    with torch.no_grad():
        conv.weight.normal_(0, 1.0)  # some |W| > 1, so the clip matters
    w = conv.weight.detach().double()
    assert ((w.abs() > 1).any() and (w.abs() <= 1).any())
    x = torch.randn(2, 8, 6, 6)
    r = torch.randn(2, 8, 6, 6)
    (conv(x) * r).sum().backward()

    alpha = w.abs().mean()
    wb = (alpha * torch.where(w < 0, -w.new_ones(()), w.new_ones(()))).requires_grad_(True)
    (F.conv2d(x.double(), wb, None, 1, 1, 1, groups) * r.double()).sum().backward()
    g = wb.grad
    expected = g / w.numel() + alpha * torch.where(w.abs() <= 1, g, torch.zeros_like(g))
    assert torch.allclose(conv.weight.grad.double(), expected, rtol=1e-4, atol=1e-7)


def test_xnor_w1a1_activation_gradient_is_the_clipped_ste():
    conv = XNORConv2d(4, 4, 3, padding=1, binary_activation=True,
                      standardize_activation=False, bias=False)
    x = (torch.randn(1, 4, 5, 5) * 2).requires_grad_(True)
    conv(x).sum().backward()
    outside = x.detach().abs() > 1
    assert (x.grad[outside] == 0).all() and (x.grad[~outside] != 0).any()


def test_xnor_from_conv_and_reset_scale():
    base = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
    conv = XNORConv2d.from_conv(base, binary_activation=True)
    assert conv.groups == 2 and conv.dilation == (2, 2) and conv.binary_activation
    assert torch.equal(conv.weight, base.weight) and torch.equal(conv.bias, base.bias)
    conv.reset_scale()  # no learnable scale: a no-op
    assert torch.allclose(conv.output_scale(), base.weight.detach().abs().mean().expand(8))


def test_output_scale_of_learned_scale_classes():
    for conv in (BinaryConv2d(4, 6, 3), RBNNConv2d(4, 6, 3, seed=0)):
        with torch.no_grad():
            conv.scale.uniform_(0.5, 1.5)
        assert torch.equal(conv.output_scale(), conv.scale.detach().reshape(-1))
        assert conv.output_scale().shape == (6, )


# --- registry ------------------------------------------------------------------------

GEOMETRY_KWARGS = dict(stride=1, padding=2, dilation=2, groups=2, bias=False)


def check_built(conv, cls):
    assert type(conv) is cls
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (8, 16, (3, 3))
    assert conv.groups == 2 and conv.dilation == (2, 2) and conv.bias is None
    assert conv(torch.randn(1, 8, 6, 6)).shape == (1, 16, 6, 6)


@pytest.mark.parametrize('cls', [BinaryConv2d, RBNNConv2d, XNORConv2d])
def test_build_from_mmengine_root_models(cls):
    from mmengine.registry import MODELS
    conv = MODELS.build(dict(type=cls.__name__, in_channels=8, out_channels=16,
                             kernel_size=3, **GEOMETRY_KWARGS))
    check_built(conv, cls)


@pytest.mark.parametrize('cls', [BinaryConv2d, RBNNConv2d, XNORConv2d])
def test_build_with_mmcv_build_conv_layer(cls):
    mmcv_cnn = pytest.importorskip('mmcv.cnn')
    from mmengine.registry import DefaultScope
    conv = mmcv_cnn.build_conv_layer(dict(type=cls.__name__), 8, 16, 3, **GEOMETRY_KWARGS)
    check_built(conv, cls)
    # from a downstream scope too (its MODELS falls back to the root registry)
    pytest.importorskip('mmpretrain')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        conv = mmcv_cnn.build_conv_layer(dict(type=cls.__name__, binary_activation=True),
                                         8, 16, 3, **GEOMETRY_KWARGS)
    check_built(conv, cls)
    assert conv.binary_activation


@pytest.mark.parametrize('cls', [BinaryConv2d, RBNNConv2d, XNORConv2d])
def test_build_from_mmrazor_models(cls):
    registry = pytest.importorskip('mmrazor.registry')
    conv = registry.MODELS.build(dict(type=cls.__name__, in_channels=8, out_channels=16,
                                      kernel_size=3, **GEOMETRY_KWARGS))
    check_built(conv, cls)
