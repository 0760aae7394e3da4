"""ABanditNAS's ops against independent re-statements of their definitions."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmlean  # noqa: F401
from mmlean.nas import (DenoisingBlock, DilatedConvBN, DotProductNonLocal, FullSepConv,
                        GaborFilter2d, gabor_kernel)


def test_gabor_kernel_matches_the_formula_element_by_element():
    torch.manual_seed(0)
    cout, cin, k = 3, 2, 3
    theta, sigma = torch.rand(cout) * 6, 0.1 + 0.4 * torch.rand(cout)
    lambd, psi, gamma = 0.1 + torch.rand(cout), torch.randn(cout), 1 + 0.5 * torch.randn(cout)
    bank = gabor_kernel(theta, sigma, lambd, psi, gamma, cin, k)
    assert bank.shape == (cout, cin, k, k)
    for o in range(cout):
        t, s, lam, p, g = (float(v[o]) for v in (theta, sigma, lambd, psi, gamma))
        for r in range(k):
            for c in range(k):
                x, y = r - k // 2, c - k // 2  # x runs along rows, y along columns
                xt = x * math.cos(t) + y * math.sin(t)
                yt = -x * math.sin(t) + y * math.cos(t)
                want = math.exp(-0.5 * (xt ** 2 / s ** 2 + yt ** 2 / (s / g) ** 2)) * \
                    math.cos(2 * math.pi * xt / lam + p)
                for i in range(cin):
                    assert float(bank[o, i, r, c]) == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_gabor_filter_constrains_its_parameters_and_convolves():
    torch.manual_seed(0)
    gabor = GaborFilter2d(4)
    x = torch.randn(2, 4, 5, 5)
    kernel = gabor_kernel(2 * math.pi * torch.sigmoid(gabor.theta),
                          0.1 + 0.4 * torch.sigmoid(gabor.sigma),
                          0.001 + 0.999 * torch.sigmoid(gabor.lambd), gabor.psi,
                          1 + 0.5 * gabor.gamma, 4, 3)
    assert torch.allclose(gabor(x), F.conv2d(x, kernel, padding=1), atol=1e-6)
    gabor(x).sum().backward()
    assert all(p.grad is not None for p in gabor.parameters())


@pytest.mark.parametrize('shape', [(2, 3, 4, 5), (2, 40, 3, 3)])  # both product orders
def test_dot_product_non_local_is_the_normalized_sum_over_positions(shape):
    torch.manual_seed(0)
    x = torch.randn(*shape, dtype=torch.float64)
    n, c, h, w = shape
    want = torch.zeros_like(x)
    flat = x.reshape(n, c, h * w)
    for b in range(n):
        for i in range(h * w):
            for j in range(h * w):
                want[b].view(c, -1)[:, i] += torch.dot(flat[b, :, i], flat[b, :, j]) * \
                    flat[b, :, j]
    want /= c * h * w
    assert torch.allclose(DotProductNonLocal()(x), want, atol=1e-10)


@pytest.mark.parametrize('filter_type', ['gabor', 'dotp'])
def test_denoising_block_starts_as_the_identity_and_downsamples_at_stride_2(filter_type):
    torch.manual_seed(0)
    x = torch.randn(2, 8, 8, 8)
    block = DenoisingBlock(filter_type, in_channels=8, out_channels=8).eval()
    assert torch.equal(block(x), x)  # zero-initialised affine BN
    block.norm.weight.data.fill_(1.0)
    assert not torch.allclose(block(x), x)
    down = DenoisingBlock(filter_type, in_channels=8, out_channels=8, stride=2).eval()
    assert torch.allclose(down(x), F.interpolate(x, scale_factor=0.5, mode='bilinear',
                                                 align_corners=True))
    # a search-time BN without affine parameters is not zero-initialised
    searching = DenoisingBlock(filter_type, norm_cfg=dict(type='BN', affine=False),
                               in_channels=8, out_channels=8)
    assert not torch.allclose(searching(x), x)


def test_denoising_block_refuses_bad_arguments():
    with pytest.raises(ValueError, match='filter_type'):
        DenoisingBlock('median', in_channels=4, out_channels=4)
    with pytest.raises(ValueError, match='in_channels'):
        DenoisingBlock('dotp', in_channels=4, out_channels=8)


@pytest.mark.parametrize('kernel_size,stride', [(3, 1), (5, 2)])
def test_dilated_conv_is_a_full_rate_2_conv(kernel_size, stride):
    torch.manual_seed(0)
    op = DilatedConvBN(kernel_size, in_channels=4, out_channels=4, stride=stride).eval()
    conv = op.net[1]
    assert conv.groups == 1 and conv.dilation == (2, 2)
    x = torch.randn(2, 4, 9, 9)
    y = F.conv2d(F.relu(x), conv.weight, stride=stride, padding=kernel_size - 1, dilation=2)
    assert torch.allclose(op(x), op.net[2](y), atol=1e-6)
    assert op(x).shape[-1] == math.ceil(9 / stride)


def test_separable_conv_is_depthwise_then_full_kxk():
    torch.manual_seed(0)
    op = FullSepConv(5, in_channels=6, out_channels=6, stride=2).eval()
    dw, full = op.depthwise[1], op.full[1]
    assert dw.weight.shape == (6, 1, 5, 5) and dw.stride == (2, 2)
    assert full.weight.shape == (6, 6, 5, 5) and full.stride == (1, 1)
    x = torch.randn(1, 6, 8, 8)
    y = op.depthwise[2](F.conv2d(F.relu(x), dw.weight, stride=2, padding=2, groups=6))
    want = op.full[2](F.conv2d(F.relu(y), full.weight, padding=2))
    assert torch.allclose(op(x), want, atol=1e-6)


def test_ops_are_in_the_root_registry():
    from mmengine.registry import MODELS
    for name in ('DilatedConvBN', 'FullSepConv', 'DenoisingBlock'):
        assert MODELS.get(name) is not None
