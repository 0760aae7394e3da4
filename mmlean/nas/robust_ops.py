"""Candidate operations of ABanditNAS's robust search space.

ABanditNAS (Chen et al., "Anti-Bandit Neural Architecture Search for Model
Defense", ECCV 2020, arXiv 2008.00698, Sec. 3.2 and Fig. 2) searches cells
over K = 9 operations: 3x3 max and average pooling, skip connection, 3x3 and
5x5 convolutions with rate 2, 3x3 and 5x5 separable convolutions, a 3x3 Gabor
filter and a denoising block. Pooling and skip connection are mmrazor's
``DartsPoolBN`` / ``DartsSkipConnect`` (pool -> BN; identity, or the
factorized reduction at stride 2), as in the official test code
(github.com/bczhangbczhang/ABanditNAS, ``models/darts_ops_1.py``). The others
are here, following that code where it differs from the paper's words:

* ``conv_kxk`` (:class:`DilatedConvBN`) is a *full* (not depthwise) conv with
  dilation 2: ReLU -> Conv -> BN;
* ``sep_conv_kxk`` (:class:`FullSepConv`) is [ReLU -> depthwise k x k (stride)
  -> BN] -> [ReLU -> *full* k x k -> BN]: the second conv is k x k, not 1x1;
* the denoising block (:class:`DenoisingBlock`) wraps its filter with a BN
  that starts at zero (the paper: a 1x1 conv) and an identity shortcut.

All are registered in mmengine's root ``MODELS`` (any config scope finds them,
mmrazor's mutable candidates included). None creates tensors on a fixed device
(the official Gabor filter calls ``.cuda()``).
"""
import math
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.registry import MODELS
from mmrazor.models.architectures.ops.base import BaseOP

FILTER_TYPES = ('gabor', 'dotp')


def _check_stride(op: str, stride: int) -> None:
    if stride not in (1, 2):
        raise ValueError(f'{op}: stride must be 1 or 2, got {stride!r}')


def _check_kernel(op: str, kernel_size: int) -> None:
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'{op}: kernel_size must be an odd positive int, got {kernel_size!r}')


def _relu_conv_bn(cin: int, cout: int, kernel_size: int, stride: int, dilation: int,
                  groups: int, norm_cfg: Dict) -> nn.Sequential:
    padding = dilation * (kernel_size - 1) // 2
    return nn.Sequential(
        nn.ReLU(inplace=False),
        nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, dilation=dilation,
                  groups=groups, bias=False),
        build_norm_layer(norm_cfg, cout)[1])


@MODELS.register_module()
class DilatedConvBN(BaseOP):
    """ReLU -> full ``k x k`` conv with dilation (2) -> BN: ABanditNAS's ``conv_3x3`` /
    ``conv_5x5`` ("3x3 / 5x5 convolution with rate 2", receptive field 5x5 / 9x9).

    Args:
        kernel_size (int): 3 or 5 in the search space.
        dilation (int): Defaults to 2.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``.
    """

    def __init__(self, kernel_size: int, dilation: int = 2, norm_cfg: Dict = dict(type='BN'),
                 **kwargs):
        super().__init__(**kwargs)
        _check_kernel(type(self).__name__, kernel_size)
        _check_stride(type(self).__name__, self.stride)
        self.net = _relu_conv_bn(self.in_channels, self.out_channels, kernel_size, self.stride,
                                 dilation, 1, norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@MODELS.register_module()
class FullSepConv(BaseOP):
    """ABanditNAS's separable conv: [ReLU -> depthwise ``k x k`` (stride) -> BN] then
    [ReLU -> full ``k x k`` -> BN] (official ``SepConv``: the second conv is ``k x k``,
    unlike DARTS's depthwise + 1x1 pairs).

    Args:
        kernel_size (int): 3 or 5 in the search space.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``.
    """

    def __init__(self, kernel_size: int, norm_cfg: Dict = dict(type='BN'), **kwargs):
        super().__init__(**kwargs)
        _check_kernel(type(self).__name__, kernel_size)
        _check_stride(type(self).__name__, self.stride)
        cin, cout = self.in_channels, self.out_channels
        self.depthwise = _relu_conv_bn(cin, cin, kernel_size, self.stride, 1, cin, norm_cfg)
        self.full = _relu_conv_bn(cin, cout, kernel_size, 1, 1, 1, norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.full(self.depthwise(x))


def gabor_kernel(theta: torch.Tensor, sigma: torch.Tensor, lambd: torch.Tensor,
                 psi: torch.Tensor, gamma: torch.Tensor, in_channels: int,
                 kernel_size: int) -> torch.Tensor:
    """The ``(C_out, C_in, k, k)`` Gabor bank of already-constrained parameters (each ``C_out``).

    ``g(x, y) = exp(-(x_t^2 / sigma^2 + y_t^2 / (sigma / gamma)^2) / 2) * cos(2 pi x_t / lambda
    + psi)`` with ``x_t = x cos(theta) + y sin(theta)``, ``y_t = -x sin(theta) + y cos(theta)``;
    ``x`` runs along the kernel's rows (dim 2) and ``y`` along its columns, as the official
    ``gabor_fn``; every input channel of an output channel gets the same 2-D kernel.
    """
    half = kernel_size // 2
    coords = torch.arange(-half, half + 1, dtype=theta.dtype, device=theta.device)
    x = coords.view(1, -1, 1)  # rows
    y = coords.view(1, 1, -1)  # columns
    cos_t, sin_t = torch.cos(theta).view(-1, 1, 1), torch.sin(theta).view(-1, 1, 1)
    x_t = x * cos_t + y * sin_t
    y_t = -x * sin_t + y * cos_t
    sigma_x = sigma.view(-1, 1, 1)
    sigma_y = sigma_x / gamma.view(-1, 1, 1)
    envelope = torch.exp(-0.5 * (x_t ** 2 / sigma_x ** 2 + y_t ** 2 / sigma_y ** 2))
    carrier = torch.cos(2 * math.pi * x_t / lambd.view(-1, 1, 1) + psi.view(-1, 1, 1))
    bank = envelope * carrier  # (C_out, k, k)
    return bank.unsqueeze(1).expand(-1, in_channels, -1, -1)


class GaborFilter2d(nn.Module):
    """A conv whose kernels are learnable Gabor functions (ABanditNAS Sec. 3.2, "Gabor filter").

    Five parameters per output channel, constrained as the official
    ``models/filter.py``: ``theta' = 2 pi sigmoid(theta)``,
    ``sigma' = 0.1 + 0.4 sigmoid(sigma)``, ``lambda' = 0.001 + 0.999 sigmoid(lambda)``,
    ``gamma' = 1 + gamma / 2``, ``psi`` free; initialised ``lambda ~ U(0, 1)``,
    ``theta, sigma ~ N(0, 1)``, ``psi ~ 0.02 N(0, 1)``, ``gamma = 0``. The kernel is
    rebuilt from them at every forward (:func:`gabor_kernel`) on the input's device.

    Args:
        channels (int): input = output channels.
        kernel_size (int): Defaults to 3.
    """

    def __init__(self, channels: int, kernel_size: int = 3):
        super().__init__()
        _check_kernel(type(self).__name__, kernel_size)
        self.channels, self.kernel_size = channels, kernel_size
        self.lambd = nn.Parameter(torch.rand(channels))
        self.theta = nn.Parameter(torch.randn(channels))
        self.psi = nn.Parameter(torch.randn(channels) * 0.02)
        self.sigma = nn.Parameter(torch.randn(channels))
        self.gamma = nn.Parameter(torch.zeros(channels))

    def kernel(self) -> torch.Tensor:
        return gabor_kernel(2 * math.pi * torch.sigmoid(self.theta),
                            0.1 + 0.4 * torch.sigmoid(self.sigma),
                            0.001 + 0.999 * torch.sigmoid(self.lambd), self.psi,
                            1.0 + 0.5 * self.gamma, self.channels, self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.kernel().to(x.dtype), padding=self.kernel_size // 2)


class DotProductNonLocal(nn.Module):
    """Non-local means with the dot product, no embedding, no softmax (Xie et al., CVPR
    2019, "Feature Denoising", Eq. 1 with ``f = x_i^T x_j`` and ``C(x) = N``), as
    ABanditNAS's ``dtp_blok`` filter: ``y_i = sum_j (x_i . x_j) x_j / (C H W)``.

    Computed as ``(X X^T) X`` over positions when ``C > H W`` and as
    ``X (X^T X)`` otherwise (the same product; the cheaper order).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.reshape(n, c, h * w)  # (n, C, HW)
        if c > h * w:
            affinity = torch.bmm(flat.transpose(1, 2), flat)  # (n, HW, HW)
            y = torch.bmm(flat, affinity)  # (n, C, HW): sum_j x_j f(i, j)
        else:
            gram = torch.bmm(flat, flat.transpose(1, 2))  # (n, C, C)
            y = torch.bmm(gram, flat)
        return (y / (c * h * w)).reshape(n, c, h, w)


@MODELS.register_module()
class DenoisingBlock(BaseOP):
    """A denoising filter, a BN that starts at zero and an identity shortcut (ABanditNAS
    Fig. 2c; "gab_filt_3x3" with ``filter_type='gabor'``, "dtp_blok_3x3" with ``'dotp'``).

    ``out = x + BN(filter(x))``, bilinearly downsampled (``align_corners=True``) at
    stride 2, as the official ``DenoisingBlock``. With an affine ``norm_cfg`` the BN's
    weight and bias start at 0, so the block starts as the identity; the paper wraps
    the filter with a 1x1 conv instead; we follow the code that produced the released
    weights.

    Args:
        filter_type (str): 'gabor' (:class:`GaborFilter2d`, 3x3) or 'dotp'
            (:class:`DotProductNonLocal`).
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``; ``in == out``.
    """

    def __init__(self, filter_type: str = 'dotp', norm_cfg: Dict = dict(type='BN'), **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        _check_stride(name, self.stride)
        if filter_type not in FILTER_TYPES:
            raise ValueError(f'{name}: filter_type must be one of {FILTER_TYPES}, '
                             f'got {filter_type!r}')
        if self.in_channels != self.out_channels:
            raise ValueError(f'{name}: in_channels ({self.in_channels}) must equal '
                             f'out_channels ({self.out_channels})')
        self.filter_type = filter_type
        self.filter = (GaborFilter2d(self.in_channels) if filter_type == 'gabor'
                       else DotProductNonLocal())
        self.norm = build_norm_layer(norm_cfg, self.in_channels)[1]
        if getattr(self.norm, 'affine', False):
            nn.init.zeros_(self.norm.weight)
            nn.init.zeros_(self.norm.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x + self.norm(self.filter(x))
        if self.stride != 1:
            out = F.interpolate(out, scale_factor=1 / self.stride, mode='bilinear',
                                align_corners=True)
        return out
