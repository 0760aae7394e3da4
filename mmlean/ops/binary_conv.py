"""Bit-packed binary convolution (XNOR + popcount) with zero padding.

``binary_conv2d`` computes, for +-1 inputs ``sign(x - threshold[n])`` (-1 where
``x < threshold``) and +-1 weights, ``y = conv2d(sign_x, w)`` exactly as integers
with zero padding, then ``y * scale + bias`` per output channel. Weights are
packed once with :func:`pack_binary_weight`. The compiled op packs the input
itself (see ``csrc/pytorch/cpu/binary_conv_cpu.cpp``); :func:`binary_conv2d_reference`
is the same computation in plain PyTorch, used without the extension and in tests.
"""
from typing import NamedTuple, Optional

import logging
import torch
import torch.nn.functional as F

from mmlean.utils.ext_loader import load_ext

from .bitpack import sign_pack, sign_unpack

ext_module = load_ext('_ext', ['binary_conv2d'])
_ISA_LOGGED = False


def _log_isa_once() -> None:
    """Say once per process when the binary conv runs a slower CPU path."""
    global _ISA_LOGGED
    if _ISA_LOGGED or ext_module is None:
        return
    _ISA_LOGGED = True
    isa, best = ext_module.cpu_isa(), ext_module.cpu_isa_detected()
    if isa != 'avx512_vpopcntdq':
        from mmengine.logging import print_log
        why = (f'capped by MMLEAN_CPU_ISA (the CPU supports {best})' if isa != best
               else 'this CPU has no AVX-512 VPOPCNTDQ')
        print_log(f'mmlean binary conv: using the {isa} path ({why}); it is several '
                  'times slower than the AVX-512 VPOPCNTDQ path', logger='current',
                  level=logging.WARNING)


class PackedBinaryWeight(NamedTuple):
    """A +-1 weight (Cout, Cin, KH, KW) in the op's storage layout.

    ``blocked``: int64 (ceil(Cout/8), KH, KW, ceil(Cin/64), 8), bit 1 = -1.
    ``neg_count``: int32 (KH, KW, ceil(Cout/8)*8), the number of -1 weights of
    each output channel at each tap (for the zero-padding correction).
    """
    blocked: torch.Tensor
    neg_count: torch.Tensor
    out_channels: int
    in_channels: int


def pack_binary_weight(weight: torch.Tensor) -> PackedBinaryWeight:
    """Pack ``weight < 0`` of a (Cout, Cin, KH, KW) tensor (values are +-1 or
    real; only the sign matters, 0 counts as +1)."""
    if weight.dim() != 4:
        raise ValueError(f'expected a (Cout, Cin, KH, KW) weight, got {tuple(weight.shape)}')
    cout, cin, kh, kw = weight.shape
    blocks = (cout + 7) // 8
    words = sign_pack(weight.detach().float())  # (Cout, KH, KW, Wc)
    padded = words.new_zeros((blocks * 8, kh, kw, words.shape[-1]))
    padded[:cout] = words
    blocked = padded.view(blocks, 8, kh, kw, -1).permute(0, 2, 3, 4, 1).contiguous()
    neg = (weight.detach() < 0).sum(dim=1, dtype=torch.int32)  # (Cout, KH, KW)
    neg_padded = neg.new_zeros((blocks * 8, kh, kw))
    neg_padded[:cout] = neg
    return PackedBinaryWeight(blocked, neg_padded.permute(1, 2, 0).contiguous(),
                              int(cout), int(cin))


def unpack_binary_weight(packed: PackedBinaryWeight) -> torch.Tensor:
    """The +-1 float weight (Cout, Cin, KH, KW) of :func:`pack_binary_weight`."""
    blocks, kh, kw, words, _ = packed.blocked.shape
    words_ = packed.blocked.permute(0, 4, 1, 2, 3).reshape(blocks * 8, kh, kw, words)
    words_ = words_[:packed.out_channels]
    return sign_unpack(words_, packed.in_channels).contiguous()


def binary_conv2d_reference(x, threshold, packed: PackedBinaryWeight, stride=1,
                            padding=0, scale=None, bias=None, int_output=False):
    """Pure-PyTorch :func:`binary_conv2d` (float conv of +-1 values: the sums
    are integers below 2**24, so they are exact in float32)."""
    if threshold is None:
        threshold = x.mean(dim=(1, 2, 3))
    xs = torch.where(x < threshold.view(-1, 1, 1, 1), -1.0, 1.0)
    w = unpack_binary_weight(packed).to(x.device)
    y = F.conv2d(xs, w, None, stride, padding)
    if int_output:
        return y.round().to(torch.int32).contiguous(memory_format=torch.channels_last)
    if scale is not None:
        y = y * scale.view(1, -1, 1, 1)
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    return y.contiguous(memory_format=torch.channels_last)


def binary_conv2d(x: torch.Tensor, threshold: Optional[torch.Tensor], packed: PackedBinaryWeight,
                  stride: int = 1, padding: int = 0,
                  scale: Optional[torch.Tensor] = None,
                  bias: Optional[torch.Tensor] = None,
                  int_output: bool = False) -> torch.Tensor:
    """Binary conv2d of ``sign(x - threshold)`` with a packed +-1 weight.

    Args:
        x (Tensor): float32 (N, Cin, H, W); channels_last is fastest on the CPU.
        threshold (Tensor, optional): float32 (N,); None means the
            per-sample mean over (C, H, W), computed inside the op.
        packed (PackedBinaryWeight): from :func:`pack_binary_weight`.
        stride, padding (int): as ``F.conv2d`` (zero padding).
        scale, bias (Tensor, optional): float32 (Cout,) epilogue.
        int_output (bool): return the exact int32 sums instead.

    Returns:
        Tensor: (N, Cout, Ho, Wo) in channels_last memory format.
    """
    if x.shape[1] != packed.in_channels:
        raise ValueError(f'binary_conv2d: input has {x.shape[1]} channels, the '
                         f'weight expects {packed.in_channels}')
    use_ext = ext_module is not None and (not x.is_cuda or ext_module.built_with_cuda())
    if not use_ext:
        return binary_conv2d_reference(x, threshold, packed, stride, padding,
                                       scale, bias, int_output)
    if not x.is_cuda:
        _log_isa_once()
    return ext_module.binary_conv2d(
        x.float(), None if threshold is None else threshold.float(),
        packed.blocked, packed.neg_count,
        packed.out_channels, int(stride), int(padding),
        None if scale is None else scale.float(),
        None if bias is None else bias.float(), bool(int_output))
