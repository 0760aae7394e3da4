"""Post-training int8 for float convs, exact on torch's x86 integer kernels.

PAMS (Li et al., ECCV 2020, Sec. 3) trains only the body quantized; the
upsampler and the last conv stay FP32. Running those in int8 too is a
deployment choice beyond the paper: they are quantized after training from a
few calibration images (standard post-training quantization):

* weights per output channel, symmetric: ``codes = round(W_c * qmax / max|W_c|)``,
  ``qmax = 2**(b-1) - 1`` (:func:`per_channel_codes`);
* input activations on an affine grid over the range the calibration images
  produce (:class:`ActGrid`: ``2**b`` levels, integer zero point, so 0 and the
  zero padding are exact).

Exactness as in :mod:`mmlean.quant.int8`: without VNNI the kernels add pairs
of u8 x s8 products into int16, so a pair reaches ``2 * max_act * max_w``:
8-bit activations and 8-bit weights (64770) can saturate and then run in the
split-weight form (twice the MACs), while 7-bit activations with 8-bit
weights (``2 * 127 * 127 = 32258``) or 8-bit activations with 7-bit weights
(``2 * 255 * 63 = 32130``) are exact with the plain kernel.
:func:`~mmlean.quant.int8.direct_is_exact` decides for the shape and codes
deployed.
"""
from typing import List, NamedTuple, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .int8 import MODES, _quantized_conv, direct_is_exact, split_codes


class ActGrid(NamedTuple):
    """An affine activation grid: value ``(code - zero_point) * scale``, codes ``0..max_code``."""

    scale: float
    zero_point: int
    max_code: int

    @classmethod
    def from_range(cls, lo: float, hi: float, bits: int = 8) -> 'ActGrid':
        """The ``bits``-bit grid covering ``[lo, hi]`` (widened to hold 0)."""
        if bits not in (7, 8):
            raise ValueError(f'activation bits must be 7 or 8, got {bits!r}')
        n = 2 ** bits - 1
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
        scale = max(hi - lo, 1e-8) / n
        return cls(scale, int(min(max(round(-lo / scale), 0), n)), n)

    @property
    def bounds(self) -> Tuple[float, float]:
        """The smallest and largest representable values."""
        return -self.zero_point * self.scale, (self.max_code - self.zero_point) * self.scale

    def quantize(self, x: torch.Tensor) -> torch.Tensor:
        """FP32 -> quint8 on this grid, channels-last (clamped to ``max_code`` first)."""
        x = x.clamp(*self.bounds).contiguous(memory_format=torch.channels_last)
        return torch.quantize_per_tensor(x, self.scale, self.zero_point, torch.quint8)

    def clamp(self, q: torch.Tensor) -> torch.Tensor:
        """Clamp a quint8 tensor on this grid to ``max_code`` (a no-op at 8 bits)."""
        return q if self.max_code == 255 else torch.clamp(q, *self.bounds)

    def fake(self, x: torch.Tensor) -> torch.Tensor:
        """Reference in FP32: ``x`` rounded onto the grid (quantize + dequantize)."""
        codes = torch.clamp(torch.round(x / self.scale) + self.zero_point, 0, self.max_code)
        return (codes - self.zero_point) * self.scale


def per_channel_codes(weight: torch.Tensor, bits: int = 8) -> Tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-channel codes of a conv weight and their scales (FP32)."""
    if bits not in (7, 8):
        raise ValueError(f'weight bits must be 7 or 8, got {bits!r}')
    qmax = 2 ** (bits - 1) - 1
    w = weight.detach().float()
    m = w.abs().flatten(1).max(dim=1).values + 1e-8
    codes = torch.round(w * (qmax / m).view(-1, *[1] * (w.dim() - 1)))
    return codes.to(torch.int8), m / qmax


def fake_ptq_conv(conv: nn.Conv2d, x: torch.Tensor, in_grid: ActGrid,
                  weight_bits: int = 8) -> torch.Tensor:
    """FP32 reference of :class:`PTQInt8Conv2d` before its output rounding."""
    codes, scales = per_channel_codes(conv.weight, weight_bits)
    w = codes.float() * scales.view(-1, 1, 1, 1)
    return F.conv2d(in_grid.fake(x), w, conv.bias, conv.stride, conv.padding, conv.dilation,
                    conv.groups)


class PTQInt8Conv2d(nn.Module):
    """A float ``nn.Conv2d`` quantized after training and run on the int8 kernels, exactly.

    Computes ``out_grid(conv(in_grid(x), per-channel codes) + bias)`` with
    int32 accumulation: per-channel symmetric weights, the input on
    ``in_grid`` (quint8, channels-last) and the output requantized onto
    ``out_grid`` (then clamped to its ``max_code``). In ``'auto'`` mode
    :func:`~mmlean.quant.int8.direct_is_exact` probes whether the plain
    kernel can saturate for these codes; if so the weight codes are split in
    two halves and the input is fed twice (the same int32 sum).

    Args:
        conv (nn.Conv2d): the float conv (groups=1, zero padding).
        in_grid (ActGrid): grid of the input.
        out_grid (ActGrid): grid of the output (the next layer's input grid).
        weight_bits (int): 8, or 7 (exact without VNNI with 8-bit inputs).
        mode (str): 'auto', 'direct' (never split) or 'safe' (split unless
            the codes cannot saturate a pair).
    """

    def __init__(self, conv: nn.Conv2d, in_grid: ActGrid, out_grid: ActGrid,
                 weight_bits: int = 8, mode: str = 'auto'):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'PTQInt8Conv2d mode must be one of {MODES}, got {mode!r}')
        if conv.groups != 1 or conv.padding_mode != 'zeros':
            raise ValueError('PTQInt8Conv2d supports groups=1 and zero padding only')
        codes, scales = per_channel_codes(conv.weight, weight_bits)
        self.in_grid, self.out_grid, self.weight_bits = in_grid, out_grid, weight_bits
        qmax_w = 2 ** (weight_bits - 1) - 1
        can_saturate = 2 * in_grid.max_code * qmax_w > 32767
        if mode == 'auto':
            self.split = can_saturate and not direct_is_exact(
                torch.backends.quantized.engine, conv.in_channels, conv.out_channels,
                tuple(conv.kernel_size), tuple(conv.stride), tuple(conv.padding),
                tuple(conv.dilation), 1, in_grid.max_code, qmax_w, True)
        else:
            self.split = mode == 'safe' and can_saturate
        in_channels = conv.in_channels
        if self.split:
            a, b = split_codes(codes)
            codes, in_channels = torch.cat([a, b], dim=1), 2 * in_channels
        bias = conv.bias.detach().float() if conv.bias is not None else None
        self.qconv = _quantized_conv(conv, codes, scales, bias, out_grid.scale,
                                     out_grid.zero_point, False, in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split:
            x = torch.cat([x, x], dim=1)
        return self.out_grid.clamp(self.qconv(x))

    def extra_repr(self) -> str:
        return f'weight_bits={self.weight_bits}, in={self.in_grid}, split={self.split}'


@torch.no_grad()
def observe_input_ranges(model: nn.Module, modules: Sequence[nn.Module],
                         inputs: Sequence[torch.Tensor]) -> List[Tuple[float, float]]:
    """(min, max) of each module's input over ``model(x)`` for every x in ``inputs``."""
    ranges = [[float('inf'), float('-inf')] for _ in modules]

    def hook(i):
        def record(_, args):
            ranges[i][0] = min(ranges[i][0], float(args[0].min()))
            ranges[i][1] = max(ranges[i][1], float(args[0].max()))
        return record

    handles = [m.register_forward_pre_hook(hook(i)) for i, m in enumerate(modules)]
    try:
        for x in inputs:
            model(x)
    finally:
        for h in handles:
            h.remove()
    return [tuple(r) for r in ranges]
