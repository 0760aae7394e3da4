"""Compiled ops of mmlean (``mmlean._ext``) with pure-PyTorch references."""
from .bitpack import cpu_isa, sign_pack, sign_pack_reference, sign_unpack, sign_unpack_reference

__all__ = [
    'sign_pack', 'sign_unpack', 'sign_pack_reference', 'sign_unpack_reference',
    'cpu_isa'
]
from .binary_conv import (PackedBinaryWeight, binary_conv2d, binary_conv2d_reference,  # noqa: E402
                          pack_binary_weight, unpack_binary_weight)

__all__ += [
    'PackedBinaryWeight', 'binary_conv2d', 'binary_conv2d_reference',
    'pack_binary_weight', 'unpack_binary_weight'
]
