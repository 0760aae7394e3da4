"""Low-bit quantization shared by the quantization methods (PAMS; later NAS/CoGD).

Fake-quantized modules for training (:class:`PAMSActQuantizer`,
:class:`MaxAbsWeightQuantizer`, :class:`QuantConv2d`), nibble packing for
sub-byte storage, and the integer kernels' export helpers in
:mod:`mmlean.quant.int8`.
"""
from .conv import QuantConv2d
from .packing import pack_codes, packed_nbytes, unpack_codes
from .quantizers import (SUPPORTED_BITS, MaxAbsWeightQuantizer, PAMSActQuantizer, check_bits,
                         qmax_for_bits, quantize_weight_maxabs, round_ste)

__all__ = [
    'SUPPORTED_BITS', 'check_bits', 'qmax_for_bits', 'round_ste', 'quantize_weight_maxabs',
    'MaxAbsWeightQuantizer', 'PAMSActQuantizer', 'QuantConv2d', 'pack_codes', 'unpack_codes',
    'packed_nbytes'
]
