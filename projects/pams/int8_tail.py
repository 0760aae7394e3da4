"""The upsampler and last conv of a PAMS SR network in int8: a deployment choice beyond PAMS.

PAMS (Sec. 3) quantizes the body; the upsampler (conv + PixelShuffle, twice
for x4) and the last conv stay FP32 and, once the body runs in int8, take
most of the time. :class:`Int8Upsampler` quantizes them after training with
a few calibration images (:mod:`mmlean.quant.int8_ptq`): per-channel
symmetric weights, activation ranges observed on the FP / fake-quantized
model, and the last conv's output requantized straight onto the 8-bit
image grid (the uint8 conversion every evaluation does).
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmagic.models.editors.edsr.edsr_net import EDSRNet
from mmagic.models.editors.rdn.rdn_net import RDNNet

from mmlean.quant.int8_ptq import ActGrid, PTQInt8Conv2d, observe_input_ranges

#: the output image's grid: codes 0..255 of [0, 1], i.e. the uint8 image
IMAGE_GRID = ActGrid(1 / 255, 0, 255)


def sr_tail(net: nn.Module):
    """``(stages, last, mean, std)`` of an mmagic EDSRNet or RDNNet.

    ``stages`` lists ``(conv, factor)``: a conv followed by PixelShuffle(factor);
    the network's output is ``last(...) * std + mean``.
    """
    if isinstance(net, EDSRNet):
        stages = [(p.upsample_conv, p.scale_factor) for p in net.upsample]
        return stages, net.conv_last, net.mean.detach().view(-1), net.std.detach().view(-1)
    if isinstance(net, RDNNet):
        mods = list(net.upscale)
        stages = [(c, s.upscale_factor) for c, s in zip(mods[::2], mods[1::2])]
        c = net.output.out_channels
        return stages, net.output, torch.zeros(c), torch.ones(c)
    raise TypeError(f'sr_tail: EDSRNet or RDNNet expected, got {type(net).__name__}')


def calibrate_tail(net: nn.Module, images: Sequence[torch.Tensor]) -> List[Tuple[float, float]]:
    """Input ranges of the upsampler convs and the last conv over ``net(image)`` per image."""
    stages, last, _, _ = sr_tail(net)
    return observe_input_ranges(net, [c for c, _ in stages] + [last], images)


def shuffle_major(conv: nn.Conv2d, factor: int) -> nn.Conv2d:
    """A copy of ``conv`` whose output channels are ordered (i, j, c) instead of (c, i, j).

    PixelShuffle's channel ``c * r * r + i * r + j`` goes to pixel (i, j) of
    channel c; with the sub-pixel index outermost, the shuffle of a
    channels-last tensor copies whole runs of channels (:func:`pixel_shuffle_cl`).
    """
    r2 = factor * factor
    c = conv.out_channels // r2
    new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    conv.padding, conv.dilation, conv.groups, conv.bias is not None)
    with torch.no_grad():
        new.weight.copy_(conv.weight.view(c, r2, *conv.weight.shape[1:]).transpose(0, 1)
                         .reshape_as(conv.weight))
        if conv.bias is not None:
            new.bias.copy_(conv.bias.view(c, r2).t().reshape(-1))
    return new


def pixel_shuffle_cl(x: torch.Tensor, factor: int) -> torch.Tensor:
    """PixelShuffle of a channels-last tensor whose channels are ordered (i, j, c).

    Returns the channels-last result (quantized tensors keep their grid).
    """
    n, ch, h, w = x.shape
    c = ch // (factor * factor)
    t = x.permute(0, 2, 3, 1).reshape(n, h, w, factor, factor, c).permute(0, 1, 3, 2, 4, 5)
    return t.reshape(n, h * factor, w * factor, c).permute(0, 3, 1, 2)


def fold_output_affine(conv: nn.Conv2d, mean: torch.Tensor, std: torch.Tensor) -> nn.Conv2d:
    """A copy of ``conv`` computing ``conv(x) * std + mean`` (per output channel)."""
    new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    conv.padding, conv.dilation, conv.groups, True)
    with torch.no_grad():
        new.weight.copy_(conv.weight * std.view(-1, 1, 1, 1))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(mean)
        new.bias.copy_(bias * std + mean)
    return new


class Int8Upsampler(nn.Module):
    """Upsampler convs, PixelShuffles and the last conv of an SR network in int8.

    Beyond PAMS, which keeps them FP32 (Sec. 3): post-training quantized
    (:class:`~mmlean.quant.int8_ptq.PTQInt8Conv2d`) from the input ranges of
    :func:`calibrate_tail`. Each conv requantizes onto the next conv's input
    grid (PixelShuffle only moves codes), and the last conv, with the
    network's ``* std + mean`` folded in, onto the 8-bit image grid, so the
    output is the image the uint8 conversion would give, as FP32 in [0, 1].

    Args:
        net (EDSRNet | RDNNet): the (PAMS) network; only its tail is used.
        ranges (list): input (min, max) of each upsampler conv and the last
            conv (:func:`calibrate_tail`).
        act_bits (int): 8, or 7 (exact on the plain kernels without VNNI).
        weight_bits (int): 8, or 7 (likewise, with 8-bit activations).
        mode (str): 'auto', 'direct' or 'safe' (:class:`PTQInt8Conv2d`).
    """

    def __init__(self, net: nn.Module, ranges: Sequence[Tuple[float, float]], act_bits: int = 8,
                 weight_bits: int = 8, mode: str = 'auto'):
        super().__init__()
        stages, last, mean, std = sr_tail(net)
        if len(ranges) != len(stages) + 1:
            raise ValueError(f'{len(stages) + 1} calibration ranges expected, got {len(ranges)}')
        grids = [ActGrid.from_range(lo, hi, act_bits) for lo, hi in ranges] + [IMAGE_GRID]
        self.in_grid = grids[0]
        self.factors = [f for _, f in stages]
        self.convs = nn.ModuleList(
            PTQInt8Conv2d(shuffle_major(conv, f), grids[i], grids[i + 1], weight_bits, mode)
            for i, (conv, f) in enumerate(stages))
        self.last = PTQInt8Conv2d(fold_output_affine(last, mean, std), grids[-2], IMAGE_GRID,
                                  weight_bits, mode)

    @property
    def split(self) -> bool:
        """Whether any conv runs in the split-weight form."""
        return any(c.split for c in [*self.convs, self.last])

    @torch.no_grad()
    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        q = self.in_grid.quantize(feat)
        for conv, factor in zip(self.convs, self.factors):
            q = pixel_shuffle_cl(conv(q), factor)
        return self.last(q).dequantize().contiguous()


def build_int8_tail(net: nn.Module, calib, act_bits: int, weight_bits: int, mode: str):
    """The calibrated :class:`Int8Upsampler` of ``net`` (``calib``: calibration images);
    what ``Int8EDSR`` / ``Int8RDN`` build with ``int8_tail=True``."""
    if calib is None:
        raise ValueError('int8_tail=True needs calibration images (calib)')
    with torch.no_grad():
        ranges = calibrate_tail(net, calib)
    return Int8Upsampler(net, ranges, act_bits, weight_bits, mode)
