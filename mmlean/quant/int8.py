"""Run fake-quantized layers on torch's integer CPU kernels (x86/fbgemm, oneDNN).

A :class:`~mmlean.quant.QuantConv2d` with max-abs weights becomes a
``torch.ao.nn.quantized`` conv whose int8 weight codes are exactly the fake
quantizer's ``round(W * qmax / m)`` (scale ``m / qmax``, zero point 0), with
the FP32 bias added to the int32 accumulator and the result requantized to
the next activation quantizer's grid. Symmetric signed activations
``{-qmax..qmax} * s`` are carried as quint8 with zero point 128 (the x86
engine's activation type), which holds every 8-bit code but also -128: the
engine can land one level below the fake quantizer's -127 clamp.
"""
import torch
import torch.ao.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq

from .conv import QuantConv2d
from .quantizers import qmax_for_bits

ACT_ZERO_POINT = 128


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


def int8_conv(conv: QuantConv2d, out_scale: float, relu: bool = False):
    """The integer-kernel twin of ``conv``, requantizing its output to ``out_scale``."""
    codes, w_scale = weight_codes(conv)
    cls = nniq.ConvReLU2d if relu else nnq.Conv2d
    q = cls(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
            padding=conv.padding, dilation=conv.dilation, groups=conv.groups,
            bias=conv.bias is not None)
    qweight = torch._make_per_tensor_quantized_tensor(codes, w_scale, 0)
    bias = conv.bias.detach().float() if conv.bias is not None else None
    q.set_weight_bias(qweight, bias)
    q.scale, q.zero_point = float(out_scale), ACT_ZERO_POINT
    return q


def quantize_act(x: torch.Tensor, scale: float, qmax: int = 127) -> torch.Tensor:
    """FP32 activations onto the symmetric grid ``{-qmax..qmax} * scale`` (quint8, zp 128).

    Clamped first, as the fake quantizer clamps to +-alpha (quint8 alone
    would keep -128).
    """
    bound = qmax * scale
    return torch.quantize_per_tensor(x.clamp(-bound, bound), scale, ACT_ZERO_POINT, torch.quint8)
