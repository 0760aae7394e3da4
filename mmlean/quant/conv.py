"""Fake-quantized convolution used by PAMS (and by later low-bit methods)."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import MODELS

from .quantizers import MaxAbsWeightQuantizer, check_bits


@MODELS.register_module()
class QuantConv2d(nn.Conv2d):
    """Conv2d with k-bit max-abs weights (PAMS Eq. 4) and an optional input quantizer.

    Parameter names equal ``nn.Conv2d``'s (``weight``, ``bias``), so a
    full-precision checkpoint loads directly; the input quantizer, when given,
    adds ``input_quant.alpha`` and its buffers. The bias stays full precision
    (as in PAMS; it is added to the int32 accumulator by integer engines).

    Args:
        bits (int): weight bit width (2, 4 or 8).
        input_quant (nn.Module, optional): applied to the input first.
    """

    def __init__(self, *args, bits=8, input_quant: Optional[nn.Module] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = check_bits(bits)
        self.weight_quant = MaxAbsWeightQuantizer(bits)
        self.input_quant = input_quant

    @classmethod
    def from_float(cls, conv: nn.Conv2d, bits, input_quant=None):
        """A QuantConv2d with ``conv``'s geometry and (shared) parameters."""
        if conv.padding_mode != 'zeros':
            raise ValueError(f'QuantConv2d supports zero padding only, got {conv.padding_mode!r}')
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                  conv.padding, conv.dilation, conv.groups, conv.bias is not None,
                  bits=bits, input_quant=input_quant)
        new.weight = conv.weight
        if conv.bias is not None:
            new.bias = conv.bias
        return new

    def forward(self, x):
        if self.input_quant is not None:
            x = self.input_quant(x)
        return self.conv_quantized_input(x)

    def conv_quantized_input(self, x):
        """The conv with k-bit weights on ``x`` as given (``input_quant`` not applied)."""
        return F.conv2d(x, self.weight_quant(self.weight), self.bias, self.stride,
                        self.padding, self.dilation, self.groups)
