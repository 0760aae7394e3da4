"""sign_pack / sign_unpack: the compiled op against the pure-PyTorch reference."""
import numpy as np
import pytest
import torch

from mmlean.ops import bitpack as sp


def pack_by_hand(x: torch.Tensor) -> np.ndarray:
    """An independent reference: Python ints, one bit at a time."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    words = (c + 63) // 64
    flat = x.reshape(n, c, -1).numpy()
    out = np.zeros((n, flat.shape[2], words), dtype=np.uint64)
    for i in range(n):
        for p in range(flat.shape[2]):
            for ch in range(c):
                if flat[i, ch, p] < 0:
                    out[i, p, ch // 64] |= np.uint64(1) << np.uint64(ch % 64)
    return out.view(np.int64).reshape((n, ) + tuple(spatial) + (words, ))


SHAPES = [(1, 1, 1, 1), (2, 3, 5, 7), (1, 63, 4, 4), (2, 64, 3, 3),
          (1, 65, 2, 5), (3, 130, 7, 1), (1, 200, 9, 11), (2, 512, 2, 2),
          (2, 70, 17), (4, 129)]


@pytest.mark.parametrize('shape', SHAPES)
def test_reference_matches_bit_by_bit_packing(shape):
    torch.manual_seed(0)
    x = torch.randn(shape)
    ref = sp.sign_pack_reference(x)
    assert ref.dtype == torch.int64
    np.testing.assert_array_equal(ref.numpy(), pack_by_hand(x))


needs_ext = pytest.mark.skipif(sp.ext_module is None, reason='mmlean._ext not built')


@needs_ext
@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('channels_last', [False, True])
def test_ext_pack_equals_reference(shape, channels_last):
    torch.manual_seed(1)
    x = torch.randn(shape)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    out = sp.ext_module.sign_pack(x)
    assert torch.equal(out, sp.sign_pack_reference(x))


@needs_ext
def test_ext_pack_non_contiguous_input():
    x = torch.randn(2, 100, 6, 8).transpose(2, 3)  # neither NCHW nor NHWC contiguous
    assert torch.equal(sp.ext_module.sign_pack(x), sp.sign_pack_reference(x))


@needs_ext
def test_sign_policy_zero_negative_zero_nan_inf():
    # x < 0 packs as -1 (bit 1); 0, -0.0 and NaN pack as +1 (bit 0)
    values = torch.tensor([0.0, -0.0, float('nan'), -float('nan'), -1e-30, 1e-30,
                           -float('inf'), float('inf')])
    x = values.view(1, -1, 1, 1)
    expected_bits = [0, 0, 0, 0, 1, 0, 1, 0]
    expected = sum(b << i for i, b in enumerate(expected_bits))
    for layout in (torch.contiguous_format, torch.channels_last):
        xx = x.contiguous(memory_format=layout)
        assert sp.ext_module.sign_pack(xx).item() == expected
    assert sp.sign_pack_reference(x).item() == expected
    unpacked = sp.sign_unpack(sp.sign_pack(x), 8).flatten().tolist()
    assert unpacked == [1, 1, 1, 1, -1, 1, -1, 1]


@needs_ext
@pytest.mark.parametrize('shape', SHAPES)
def test_ext_unpack_roundtrip(shape):
    torch.manual_seed(2)
    x = torch.randn(shape)
    packed = sp.ext_module.sign_pack(x)
    unpacked = sp.ext_module.sign_unpack(packed, shape[1])
    assert torch.equal(unpacked, torch.where(x < 0, -1.0, 1.0))
    assert torch.equal(unpacked, sp.sign_unpack_reference(packed, shape[1]))


def test_top_bit_and_padding_bits():
    x = torch.ones(1, 70, 1, 1)
    x[0, 63] = -1  # bit 63 of word 0: the int64 sign bit
    x[0, 69] = -1  # bit 5 of word 1; bits 6..63 of word 1 are padding (0)
    ref = sp.sign_pack_reference(x).flatten().tolist()
    assert ref == [-2**63, 1 << 5]
    assert sp.sign_pack(x).flatten().tolist() == ref


def test_empty_and_bad_input():
    assert sp.sign_pack(torch.randn(0, 5, 2, 2)).shape == (0, 2, 2, 1)
    with pytest.raises(ValueError, match='expects'):
        sp.sign_pack(torch.randn(5))
    with pytest.raises((ValueError, RuntimeError), match='words'):
        sp.sign_unpack(torch.zeros(1, 2, dtype=torch.int64), 200)


def test_cpu_isa_is_reported():
    assert sp.cpu_isa() in ('avx512_vpopcntdq', 'avx2', 'scalar', 'reference')


@needs_ext
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('shape', SHAPES)
def test_cuda_pack_equals_reference(shape):
    x = torch.randn(shape, device='cuda')
    assert torch.equal(sp.sign_pack(x).cpu(), sp.sign_pack_reference(x.cpu()))
    assert torch.equal(sp.sign_unpack(sp.sign_pack(x), shape[1]).cpu(),
                       torch.where(x.cpu() < 0, -1.0, 1.0))


@needs_ext
@pytest.mark.parametrize('isa', ['avx2', 'scalar'])
def test_every_isa_path_equals_reference(isa):
    """Each run-time path (capped with MMLEAN_CPU_ISA) packs identically."""
    import os
    import subprocess
    import sys
    code = (
        'import torch\n'
        'from mmlean.ops import bitpack as sp\n'
        'torch.manual_seed(3)\n'
        'for shape in [(2, 3, 5, 7), (1, 65, 2, 5), (2, 200, 9, 11)]:\n'
        '    x = torch.randn(shape)\n'
        '    for y in (x, x.contiguous(memory_format=torch.channels_last)):\n'
        '        assert torch.equal(sp.ext_module.sign_pack(y), sp.sign_pack_reference(y))\n'
        'print(sp.cpu_isa())\n')
    env = dict(os.environ, MMLEAN_CPU_ISA=isa)
    out = subprocess.run([sys.executable, '-c', code], env=env,
                         capture_output=True, text=True, check=True)
    chosen = out.stdout.strip().splitlines()[-1]
    assert chosen in (isa, 'scalar')  # never wider than the cap


def test_references_run_when_the_extension_is_disabled():
    """MMLEAN_DISABLE_EXT=1: every op falls back to its pure-PyTorch reference."""
    import os
    import subprocess
    import sys
    code = ('import torch\n'
            'from mmlean.ops import bitpack, binary_conv\n'
            'assert bitpack.ext_module is None and binary_conv.ext_module is None\n'
            'x = torch.randn(2, 70, 5, 5)\n'
            'assert bitpack.cpu_isa() == "reference"\n'
            'p = binary_conv.pack_binary_weight(torch.randn(8, 70, 3, 3))\n'
            'y = binary_conv.binary_conv2d(x, None, p, 1, 1, int_output=True)\n'
            'print(int(y.abs().sum()))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=dict(os.environ, MMLEAN_DISABLE_EXT='1'))
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip()) > 0
