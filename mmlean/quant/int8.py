"""Run fake-quantized layers on torch's integer CPU kernels (x86/fbgemm, oneDNN), exactly.

A :class:`~mmlean.quant.QuantConv2d` with max-abs weights becomes a
``torch.ao.nn.quantized`` conv whose int8 weight codes are exactly the fake
quantizer's ``round(W * qmax / m)`` (scale ``m / qmax``, zero point 0), with
the FP32 bias added to the int32 accumulator and the result requantized to
the next activation quantizer's grid. Symmetric signed activations
``{-qmax..qmax} * s`` are carried as quint8 with zero point 128 (the x86
engine's activation type); non-negative ones (after a ReLU) either the same
way or, where needed (below), with zero point 0 and an explicit clamp.

**Saturation on CPUs without VNNI.** Without AVX-512 VNNI (or AVX-VNNI) the
x86 int8 kernels multiply u8 activations by s8 weights with ``vpmaddubsw``,
which adds *pairs* of products into int16 with saturation: with activation
codes up to 255 and weight codes up to +-127 a pair can reach
``2 * 255 * 127 = 64770 > 32767``, and the result is silently wrong (tens of
levels). VNNI accumulates in int32 and is exact. :func:`direct_is_exact`
probes the kernel torch really runs for a conv shape with the worst case,
so the check holds whatever the CPU, the engine or ``FBGEMM_ENABLE_INSTRUCTIONS``
select. Where it fails, :class:`Int8Conv2d` uses a representation that cannot
saturate:

* signed inputs (codes up to 255): the weight codes are split into two halves
  ``w = w_a + w_b`` with ``|w_a|, |w_b| <= 64`` and the input is fed twice,
  ``conv([x, x], [w_a, w_b])``: every pair is at most ``2 * 255 * 64 = 32640``,
  the int32 sum is the same, so the result is bit-identical (twice the MACs);
* non-negative inputs (codes up to 127 with zero point 0): a pair is at most
  ``2 * 127 * 127 = 32258``, exact with the full weight range (no extra MACs;
  the producer clamps to ``qmax`` levels, which zero point 128 did for free).
"""
import functools
from typing import Tuple

import torch
import torch.ao.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
import torch.nn as nn
import torch.nn.functional as F

from .conv import QuantConv2d
from .quantizers import qmax_for_bits

ACT_ZERO_POINT = 128
INT16_MAX = 32767
MODES = ('auto', 'direct', 'safe')
FORMS = ('direct', 'safe', 'float')  # the forms a deployment can time and choose from


def select_engine() -> str:
    """Use the x86 engine where torch has it (fbgemm + oneDNN), else what is there."""
    engines = torch.backends.quantized.supported_engines
    for name in ('x86', 'fbgemm', 'onednn', 'qnnpack'):
        if name in engines:
            torch.backends.quantized.engine = name
            return name
    raise RuntimeError(f'this torch build has no quantized CPU engine ({engines})')


def weight_codes(conv: QuantConv2d):
    """(int8 codes, scale) of a QuantConv2d's weight, identical to its fake quantizer."""
    qmax = qmax_for_bits(conv.bits)
    w = conv.weight.detach().float()
    m = w.abs().max() + 1e-8
    codes = torch.round(w * (qmax / m)).to(torch.int8)
    return codes, float(m / qmax)


def split_codes(codes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``codes = a + b`` with ``|a|, |b| <= 64`` (for ``|codes| <= 127``)."""
    wide = codes.to(torch.int16)
    a = torch.div(wide, 2, rounding_mode='floor')
    return a.to(torch.int8), (wide - a).to(torch.int8)


def quantized_weight(codes: torch.Tensor, w_scale) -> torch.Tensor:
    """qint8 weight from int8 codes: one scale (float) or one per output channel (tensor)."""
    if isinstance(w_scale, torch.Tensor):
        return torch._make_per_channel_quantized_tensor(
            codes, w_scale.double(), torch.zeros(codes.shape[0], dtype=torch.long), 0)
    return torch._make_per_tensor_quantized_tensor(codes, w_scale, 0)


def _quantized_conv(conv: nn.Conv2d, codes: torch.Tensor, w_scale, bias,
                    out_scale: float, out_zero_point: int, relu: bool, in_channels: int):
    cls = nniq.ConvReLU2d if relu else nnq.Conv2d
    q = cls(in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
            padding=conv.padding, dilation=conv.dilation, groups=conv.groups,
            bias=bias is not None)
    q.set_weight_bias(quantized_weight(codes, w_scale), bias)
    q.scale, q.zero_point = float(out_scale), int(out_zero_point)
    return q


@functools.lru_cache(maxsize=None)
def direct_is_exact(engine: str, in_channels: int, out_channels: int, kernel_size: tuple,
                    stride: tuple, padding: tuple, dilation: tuple, groups: int,
                    max_input_code: int, max_weight_code: int = 127,
                    per_channel: bool = False) -> bool:
    """Whether torch's int8 conv of this shape sums u8 x s8 products without saturating.

    Runs the worst case (every input code ``max_input_code`` with zero point
    128 or 0, every weight code ``max_weight_code``, per-tensor or per-channel
    weights as deployed) through the kernel the current engine selects and
    compares with the exact integer result. Cached per shape.
    """
    torch.backends.quantized.engine = engine
    zp = ACT_ZERO_POINT if max_input_code > 127 else 0
    per_tap = (max_input_code - zp) * max_weight_code * (in_channels // groups)
    kh, kw = kernel_size
    exact = per_tap * kh * kw  # an output whose window is inside the image
    out_scale = exact / 100.0  # the exact result lands on code 100 (+ zp 128)
    probe = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups)
    codes = torch.full((out_channels, in_channels // groups, kh, kw), max_weight_code,
                       dtype=torch.int8)
    w_scale = torch.ones(out_channels) if per_channel else 1.0
    q = _quantized_conv(probe, codes, w_scale, None, out_scale, ACT_ZERO_POINT, False,
                        in_channels)
    size = (max(kh, kw) - 1) * max(dilation) + 2 * max(padding) + 2 * max(stride) + 1
    x = torch.full((1, in_channels, size, size), max_input_code, dtype=torch.uint8)
    x = torch._make_per_tensor_quantized_tensor(x, 1.0, zp)
    y = q(x.contiguous(memory_format=torch.channels_last)).int_repr()
    oh = (padding[0] + stride[0] - 1) // stride[0]  # first output with no padding in view
    ow = (padding[1] + stride[1] - 1) // stride[1]
    return int(y[0, 0, oh, ow]) == 100 + ACT_ZERO_POINT


class Int8Conv2d(nn.Module):
    """The integer-kernel twin of a :class:`QuantConv2d`, exact on every x86 CPU.

    Computes ``requant(conv(x_codes, w_codes) * s_x * s_w + bias)`` onto the
    grid ``out_scale`` (zero point ``out_zero_point``), optionally with ReLU.
    In ``'auto'`` mode :func:`direct_is_exact` decides whether the plain int8
    conv can saturate for this shape on this machine and, if so, the
    split-weight form is used (see the module docstring).

    Args:
        conv (QuantConv2d): the fake-quantized conv.
        out_scale (float): step of the output grid.
        relu (bool): fuse a ReLU.
        signed_input (bool): the input carries signed codes with zero point
            128 (up to 255); False: non-negative codes 0..127 with zero point 0.
        out_zero_point (int): 128 (signed grid) or 0 (non-negative grid).
        mode (str): 'auto', 'direct' (never split; may saturate without
            VNNI) or 'safe' (always split signed inputs).
    """

    def __init__(self, conv: QuantConv2d, out_scale: float, relu: bool = False,
                 signed_input: bool = True, out_zero_point: int = ACT_ZERO_POINT,
                 mode: str = 'auto'):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'Int8Conv2d mode must be one of {MODES}, got {mode!r}')
        codes, w_scale = weight_codes(conv)
        bias = conv.bias.detach().float() if conv.bias is not None else None
        engine = torch.backends.quantized.engine
        max_code = 255 if signed_input else 127
        if mode == 'auto':
            self.split = signed_input and not direct_is_exact(
                engine, conv.in_channels, conv.out_channels, tuple(conv.kernel_size),
                tuple(conv.stride), tuple(conv.padding), tuple(conv.dilation), conv.groups,
                max_code)
        else:
            self.split = mode == 'safe' and signed_input
        if self.split and conv.groups != 1:
            raise ValueError('Int8Conv2d: the split-weight form supports groups=1 only')
        if self.split:
            a, b = split_codes(codes)
            codes, in_channels = torch.cat([a, b], dim=1), 2 * conv.in_channels
        else:
            in_channels = conv.in_channels
        self.qconv = _quantized_conv(conv, codes, w_scale, bias, out_scale, out_zero_point,
                                     relu, in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split:
            x = torch.cat([x, x], dim=1)
        return self.qconv(x)

    def extra_repr(self) -> str:
        return f'split={self.split}'


def int8_conv(conv: QuantConv2d, out_scale: float, relu: bool = False,
              mode: str = 'auto') -> Int8Conv2d:
    """:class:`Int8Conv2d` for a signed (zero point 128) input and output grid."""
    return Int8Conv2d(conv, out_scale, relu=relu, mode=mode)


def quantize_act(x: torch.Tensor, scale: float, qmax: int = 127) -> torch.Tensor:
    """FP32 activations onto the symmetric grid ``{-qmax..qmax} * scale`` (quint8, zp 128).

    Clamped first, as the fake quantizer clamps to +-alpha (quint8 alone
    would keep -128).
    """
    bound = qmax * scale
    return torch.quantize_per_tensor(x.clamp(-bound, bound), scale, ACT_ZERO_POINT, torch.quint8)


def clamp_codes(q: torch.Tensor, qmax: int = 127) -> torch.Tensor:
    """Clamp a zero-point-0 quint8 tensor to ``qmax`` levels (the fake quantizer's
    ``alpha``), keeping it quantized."""
    return torch.clamp(q, 0.0, qmax * q.q_scale())


def round_to_grid_(x: torch.Tensor, scale: float, low: int, high: int) -> torch.Tensor:
    """``x <- clamp(round(x / scale), low, high) * scale`` in place: the fake quantizer's
    grid (PAMS Eq. 3 with ``scale = alpha / qmax``), equal up to float rounding."""
    return x.div_(scale).round_().clamp_(low, high).mul_(scale)


class FloatConvOnCodes(nn.Module):
    """An FP32 conv on the dequantized int8 weight codes of a :class:`QuantConv2d`.

    The third deployment form beside the direct and the split int8 conv: on a
    CPU where torch's FP32 conv outruns its int8 kernels (AVX2 without VNNI,
    where u8 x s8 pairs go through ``vpmaddubsw``), the same weights
    ``codes * scale`` run through the FP32 kernel. The module stores the int8
    codes and one scale (what a checkpoint of it holds: 4x smaller than FP32);
    the FP32 weight lives in memory only. Equal to the fake-quantized conv up
    to float rounding.
    """

    def __init__(self, conv: QuantConv2d):
        super().__init__()
        codes, self.w_scale = weight_codes(conv)
        self.register_buffer('codes', codes)
        bias = conv.bias.detach().float().clone() if conv.bias is not None else None
        self.register_buffer('bias', bias)
        self.stride, self.padding = conv.stride, conv.padding
        self.dilation, self.groups = conv.dilation, conv.groups
        weight = (codes.float() * self.w_scale).contiguous(memory_format=torch.channels_last)
        self.register_buffer('weight', weight, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
