"""Pack the signs of a float tensor along channels into 64-bit words.

Layout (shared by the C++/CUDA kernels and the reference below): for an input
of shape ``(N, C, *S)`` the result has shape ``(N, *S, ceil(C / 64))`` and
dtype int64. Bit ``j`` of word ``k`` is 1 when channel ``64 * k + j`` is
negative (stands for -1) and 0 otherwise (+1). Sign policy: a value packs as
-1 exactly when ``x < 0``; 0, -0.0 and NaN pack as +1 (the convention of
``torch.where(x < 0, -1, 1)``, which binary networks use for sign(0)). Bits
past channel ``C - 1`` are 0.
"""
import torch

from mmlean.utils.ext_loader import load_ext

ext_module = load_ext('_ext', ['sign_pack', 'sign_unpack'])

_BIT_WEIGHTS = {}


def _bit_weights(device: torch.device) -> torch.Tensor:
    if device not in _BIT_WEIGHTS:
        # 1 << 63 is the int64 minimum: summing distinct powers of two is a
        # bitwise OR even with the top bit set (two's complement).
        _BIT_WEIGHTS[device] = torch.ones(64, dtype=torch.int64, device=device) \
            .bitwise_left_shift(torch.arange(64, device=device))
    return _BIT_WEIGHTS[device]


def sign_pack_reference(x: torch.Tensor) -> torch.Tensor:
    """Pure-PyTorch :func:`sign_pack`."""
    if x.dim() < 2:
        raise ValueError(f'sign_pack expects (N, C, ...), got shape {tuple(x.shape)}')
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    words = (c + 63) // 64
    bits = (x < 0).to(torch.int64)
    if words * 64 != c:
        pad = bits.new_zeros((n, words * 64 - c) + tuple(spatial))
        bits = torch.cat([bits, pad], dim=1)
    bits = bits.reshape((n, words, 64) + tuple(spatial))
    bits = bits.movedim(1, -1).movedim(1, -1)  # (N, *S, words, 64)
    return (bits * _bit_weights(x.device)).sum(-1)


def sign_unpack_reference(packed: torch.Tensor, channels: int) -> torch.Tensor:
    """Pure-PyTorch :func:`sign_unpack`."""
    words = packed.shape[-1]
    if (channels + 63) // 64 != words:
        raise ValueError(f'{channels} channels need {(channels + 63) // 64} '
                         f'words, but the last dimension holds {words}')
    bits = packed.unsqueeze(-1).bitwise_and(_bit_weights(packed.device)).ne(0)
    bits = bits.flatten(-2)[..., :channels]  # (N, *S, C)
    return torch.where(bits, -1.0, 1.0).movedim(-1, 1).contiguous()


def sign_pack(x: torch.Tensor) -> torch.Tensor:
    """Pack ``x < 0`` of ``(N, C, *S)`` into int64 words ``(N, *S, ceil(C/64))``.

    Uses ``mmlean._ext`` (CPU with run-time AVX-512/AVX2/scalar dispatch, or
    CUDA) when built, else :func:`sign_pack_reference`. Gradients do not flow.
    """
    if x.dim() < 2:
        raise ValueError(f'sign_pack expects (N, C, ...), got shape {tuple(x.shape)}')
    if ext_module is None or (x.is_cuda and not ext_module.built_with_cuda()):
        return sign_pack_reference(x)
    return ext_module.sign_pack(x.detach().float())


def sign_unpack(packed: torch.Tensor, channels: int) -> torch.Tensor:
    """Inverse of :func:`sign_pack`: +-1 float32 of shape ``(N, C, *S)``."""
    if ext_module is None or (packed.is_cuda and not ext_module.built_with_cuda()):
        return sign_unpack_reference(packed, channels)
    return ext_module.sign_unpack(packed, int(channels))


def cpu_isa() -> str:
    """The CPU instruction-set path of the compiled kernels in this process
    ('avx512_vpopcntdq', 'avx2' or 'scalar'), or 'reference' without _ext."""
    return 'reference' if ext_module is None else ext_module.cpu_isa()
