"""BinaryConv2d / RBNNConv2d forward and backward against the formulas of the official RBNN
code (cifar/modules/binarized_modules.py)."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlean.binary import BinaryConv2d, RBNNConv2d, binary_sign


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
                   None, conv.stride, conv.padding)
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


def test_binary_conv_rejects_groups():
    with pytest.raises(ValueError, match='groups'):
        BinaryConv2d(8, 8, 3, groups=2)
