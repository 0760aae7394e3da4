"""Sub-byte storage of signed quantized integer codes."""
import math

import torch

from .quantizers import check_bits


def pack_codes(codes: torch.Tensor, bits: int) -> torch.Tensor:
    """Pack signed ``bits``-bit codes (2, 4 or 8) into a flat uint8 tensor.

    Codes are offset to unsigned (``c + 2**(bits-1)``) and stored ``8 // bits``
    per byte, lowest bits first; the tail is padded with zero codes. Keep the
    shape to unpack (:func:`unpack_codes`).
    """
    check_bits(bits)
    flat = codes.flatten().to(torch.int16)
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if flat.numel() and (int(flat.min()) < low or int(flat.max()) > high):
        raise ValueError(f'{bits}-bit codes must lie in [{low}, {high}], got '
                         f'[{int(flat.min())}, {int(flat.max())}]')
    per_byte = 8 // bits
    pad = (-flat.numel()) % per_byte
    unsigned = torch.cat([flat - low, flat.new_zeros(pad)]).to(torch.uint8)
    unsigned = unsigned.reshape(-1, per_byte)
    packed = torch.zeros(unsigned.shape[0], dtype=torch.uint8)
    for i in range(per_byte):
        packed |= unsigned[:, i] << (i * bits)
    return packed


def unpack_codes(packed: torch.Tensor, bits: int, shape) -> torch.Tensor:
    """Inverse of :func:`pack_codes`: int8 codes of ``shape``."""
    check_bits(bits)
    per_byte, mask = 8 // bits, (1 << bits) - 1
    parts = [((packed >> (i * bits)) & mask).to(torch.int16) for i in range(per_byte)]
    flat = torch.stack(parts, dim=1).flatten() - 2 ** (bits - 1)
    numel = math.prod(int(s) for s in shape)
    return flat[:numel].to(torch.int8).reshape(tuple(shape))


def packed_nbytes(numel: int, bits: int) -> int:
    """Bytes :func:`pack_codes` uses for ``numel`` codes."""
    return math.ceil(numel * check_bits(bits) / 8)
