"""Candidate operations of the AMSNet search space that mmrazor does not have.

Registered in mmengine's root ``MODELS`` (generic layers; mmrazor's
``DiffMutableOP`` builds its candidates from its child registry, which finds
them). The separable and dilated convs, skip and zero are mmrazor's DARTS ops
(``DartsSepConv``, ``DartsDilConv``, ``DartsSkipConnect``, ``DartsZero``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.registry import MODELS
from mmrazor.models.architectures.ops.base import BaseOP


@MODELS.register_module()
class ReLUConvBN(BaseOP):
    """ReLU -> ``k x k`` conv (optionally dilated, with the op's stride) -> BN.

    The plain ``conv_3x3`` / ``conv_5x5`` candidates of the NAS-Count encoder
    and decoder (Hu et al., ECCV 2020, arXiv 2003.00217, Sec. 3: the cell op
    list is not verified here, see the project README), in the ReLU-Conv-BN
    order of DARTS's ops (Liu et al., ICLR 2019, official ``cnn/operations.py``).
    """

    def __init__(self, kernel_size: int = 3, dilation: int = 1, norm_cfg=dict(type='BN'),
                 **kwargs):
        super().__init__(**kwargs)
        pad = dilation * (kernel_size - 1) // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(self.in_channels, self.out_channels, kernel_size, self.stride, pad,
                      dilation=dilation, bias=False),
            build_norm_layer(norm_cfg, self.out_channels)[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


@MODELS.register_module()
class UpsampleDeconv(BaseOP):
    """2x upsampling by a transposed conv: ReLU -> ``ConvTranspose2d(k, stride 2)`` -> BN.

    One of the decoder's upsampling candidates (NAS-Count, Sec. 3: "transposed
    convolution"; kernel sizes unverified, 3 and 5 by default). The output is
    exactly twice the input size.
    """

    def __init__(self, kernel_size: int = 3, norm_cfg=dict(type='BN'), **kwargs):
        super().__init__(**kwargs)
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.ConvTranspose2d(self.in_channels, self.out_channels, kernel_size, stride=2,
                               padding=(kernel_size - 1) // 2, output_padding=1, bias=False),
            build_norm_layer(norm_cfg, self.out_channels)[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


@MODELS.register_module()
class UpsampleInterpConv(BaseOP):
    """2x upsampling by interpolation followed by ReLU -> ``k x k`` conv -> BN.

    The decoder's interpolation candidates (bilinear or nearest upsampling then
    a conv, as e.g. the decoders of Auto-DeepLab, Liu et al., CVPR 2019).
    """

    def __init__(self, kernel_size: int = 3, mode: str = 'bilinear', norm_cfg=dict(type='BN'),
                 **kwargs):
        super().__init__(**kwargs)
        self.mode = mode
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(self.in_channels, self.out_channels, kernel_size, 1,
                      (kernel_size - 1) // 2, bias=False),
            build_norm_layer(norm_cfg, self.out_channels)[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kw = dict(align_corners=False) if self.mode == 'bilinear' else {}
        return self.op(F.interpolate(x, scale_factor=2, mode=self.mode, **kw))


@MODELS.register_module()
class Resample(nn.Module):
    """A macro-level path: ReLU -> 1x1 conv -> BN, resized by ``2 ** log2_factor``.

    Brings an encoder scale to a decoder node (NAS-Count's multi-path macro
    search, Sec. 3; the edge design follows Auto-DeepLab's resampling,
    Liu et al., CVPR 2019): average pooling to go down, bilinear interpolation
    to go up (to the size of the node, given at run time).
    """

    def __init__(self, in_channels: int, out_channels: int, log2_factor: int = 0,
                 norm_cfg=dict(type='BN')):
        super().__init__()
        self.log2_factor = log2_factor
        self.proj = nn.Sequential(nn.ReLU(inplace=False),
                                  nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                  build_norm_layer(norm_cfg, out_channels)[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        if self.log2_factor < 0:
            k = 2**(-self.log2_factor)
            x = F.avg_pool2d(x, k, k, ceil_mode=True)
        elif self.log2_factor > 0:
            x = F.interpolate(x, scale_factor=2**self.log2_factor, mode='bilinear',
                              align_corners=False)
        return x


POOL_MODES = ('avg', 'sum', 'max')


def spp_pool(x: torch.Tensor, mode: str, kernel_size: int = 2) -> torch.Tensor:
    """One pyramid level: ``k x k`` / stride ``k`` pooling, partial windows at the
    bottom/right edges zero padded (``sum``: exact count kept; ``avg = sum / k^2``)."""
    if mode == 'max':
        return F.max_pool2d(x, kernel_size, kernel_size, ceil_mode=True)
    if mode not in ('avg', 'sum'):
        raise ValueError(f'pool mode must be one of {POOL_MODES}, got {mode!r}')
    h, w = x.shape[-2:]
    ph, pw = (-h) % kernel_size, (-w) % kernel_size
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph))
    s = F.avg_pool2d(x, kernel_size, kernel_size) * (kernel_size * kernel_size)
    return s if mode == 'sum' else s / (kernel_size * kernel_size)


@MODELS.register_module()
class SPPPool(nn.Module):
    """A pooling candidate of the Scale Pyramid Pooling Loss (NAS-Count, Sec. 3.3; the
    pooling types of the searched loss are not verified: avg / max by default)."""

    def __init__(self, mode: str = 'avg', kernel_size: int = 2, **kwargs):
        super().__init__()
        if mode not in POOL_MODES:
            raise ValueError(f'SPPPool: mode must be one of {POOL_MODES}, got {mode!r}')
        self.mode, self.kernel_size = mode, kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return spp_pool(x, self.mode, self.kernel_size)

    def extra_repr(self) -> str:
        return f'mode={self.mode}, kernel_size={self.kernel_size}'
