"""Bit-packed storage of quantized codes."""
import pytest
import torch

from mmlean.quant import pack_codes, packed_nbytes, unpack_codes


@pytest.mark.parametrize('bits', [2, 4, 8])
@pytest.mark.parametrize('numel', [1, 7, 64, 1001])
def test_round_trip_and_size(bits, numel):
    low = -(2 ** (bits - 1))
    codes = torch.randint(low, -low, (numel, ), dtype=torch.int8)
    packed = pack_codes(codes, bits)
    assert packed.dtype == torch.uint8
    assert packed.numel() == packed_nbytes(numel, bits) == -(-numel * bits // 8)
    assert torch.equal(unpack_codes(packed, bits, codes.shape), codes)


def test_nibble_layout_low_first():
    # 4-bit codes 1 and -2 -> unsigned 9 and 6 -> byte 0x69
    assert pack_codes(torch.tensor([1, -2]), 4).tolist() == [0x69]


def test_out_of_range_codes_are_refused():
    with pytest.raises(ValueError, match=r'4-bit codes must lie in \[-8, 7\]'):
        pack_codes(torch.tensor([8]), 4)
