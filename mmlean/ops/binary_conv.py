"""Bit-packed binary convolution (XNOR + popcount) with zero padding.

``binary_conv2d`` computes, for +-1 inputs ``sign(x - threshold[n])`` (-1 where
``x < threshold``) and +-1 weights, ``y = conv2d(sign_x, w, stride, padding,
dilation, groups)`` exactly as integers with zero padding (the XNOR-popcount
convolution of XNOR-Net, arXiv 1603.05279), then ``y * scale + bias`` per
output channel. Weights are packed once with :func:`pack_binary_weight`. The
compiled op packs the input itself; :func:`binary_conv2d_reference` is the same
computation in plain PyTorch, used without the extension and in tests.

Two weight layouts:

* general (any ``groups``): ``blocked`` int64
  ``(groups * ceil(Cout_g / 8), KH, KW, ceil(Cin_g / 64), 8)``, 8 output
  channels of one group per innermost block (``Cout_g = Cout / groups``,
  ``Cin_g = Cin / groups``; channels past ``Cout_g`` are 0), and
  ``neg_count`` int32 ``(KH, KW, groups * ceil(Cout_g / 8) * 8)``, the number
  of -1 weights of each output channel at each tap (zero-padding correction);
* depthwise (``groups == Cin == Cout > 1``): ``blocked`` int64
  ``(KH, KW, ceil(C / 64))``, bit ``c % 64`` of word ``c // 64`` set where
  filter ``c`` is -1 at that tap, so one popcount word covers 64 channels;
  ``neg_count`` is empty (padded taps are skipped, not corrected).
"""
import logging
from typing import NamedTuple, Optional

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


def is_depthwise(in_channels: int, out_channels: int, groups: int) -> bool:
    """Whether a conv uses the depthwise layout (one input and one output
    channel per group, more than one group)."""
    return groups > 1 and in_channels == groups and out_channels == groups


class PackedBinaryWeight(NamedTuple):
    """A +-1 weight (Cout, Cin / groups, KH, KW) in the op's storage layout
    (see the module docstring for both layouts).

    ``in_channels`` and ``out_channels`` are the conv's totals.
    """
    blocked: torch.Tensor
    neg_count: torch.Tensor
    out_channels: int
    in_channels: int
    groups: int = 1

    @property
    def depthwise(self) -> bool:
        return is_depthwise(self.in_channels, self.out_channels, self.groups)

    @property
    def kernel_size(self):
        dims = self.blocked.shape[:2] if self.depthwise else self.blocked.shape[1:3]
        return int(dims[0]), int(dims[1])


def _pack_general(weight: torch.Tensor, groups: int):
    cout, _, kh, kw = weight.shape
    cout_g = cout // groups
    blocks = (cout_g + 7) // 8
    words = sign_pack(weight.detach().float())  # (Cout, KH, KW, Wg)
    padded = words.new_zeros((groups, blocks * 8, kh, kw, words.shape[-1]))
    padded[:, :cout_g] = words.view(groups, cout_g, kh, kw, -1)
    blocked = padded.view(groups * blocks, 8, kh, kw, -1).permute(0, 2, 3, 4, 1).contiguous()
    neg = (weight.detach() < 0).sum(dim=1, dtype=torch.int32)  # (Cout, KH, KW)
    neg_padded = neg.new_zeros((groups, blocks * 8, kh, kw))
    neg_padded[:, :cout_g] = neg.view(groups, cout_g, kh, kw)
    return blocked, neg_padded.view(-1, kh, kw).permute(1, 2, 0).contiguous()


def _pack_depthwise(weight: torch.Tensor):
    # (C, 1, KH, KW) seen as one sample of C channels: words (KH, KW, ceil(C/64))
    words = sign_pack(weight.detach().float().transpose(0, 1))[0].contiguous()
    return words, torch.zeros(0, dtype=torch.int32, device=weight.device)


def pack_binary_weight(weight: torch.Tensor, groups: int = 1) -> PackedBinaryWeight:
    """Pack ``weight < 0`` of a (Cout, Cin / groups, KH, KW) tensor (values are
    +-1 or real; only the sign matters, 0 counts as +1)."""
    if weight.dim() != 4:
        raise ValueError(f'expected a (Cout, Cin / groups, KH, KW) weight, '
                         f'got {tuple(weight.shape)}')
    groups = int(groups)
    cout, cin_g = int(weight.shape[0]), int(weight.shape[1])
    if groups < 1 or cout % groups != 0:
        raise ValueError(f'groups={groups} must be >= 1 and divide the {cout} '
                         'output channels')
    if min(weight.shape) == 0:
        raise ValueError(f'empty weight {tuple(weight.shape)}')
    cin = cin_g * groups
    if is_depthwise(cin, cout, groups):
        blocked, neg = _pack_depthwise(weight)
    else:
        blocked, neg = _pack_general(weight, groups)
    return PackedBinaryWeight(blocked, neg, cout, cin, groups)


def unpack_binary_weight(packed: PackedBinaryWeight) -> torch.Tensor:
    """The +-1 float weight (Cout, Cin / groups, KH, KW) of :func:`pack_binary_weight`."""
    if packed.depthwise:
        return sign_unpack(packed.blocked.unsqueeze(0), packed.out_channels) \
            .transpose(0, 1).contiguous()
    groups = packed.groups
    blocks, kh, kw, words, _ = packed.blocked.shape
    cout_g = packed.out_channels // groups
    words_ = packed.blocked.permute(0, 4, 1, 2, 3)  # (blocks, 8, KH, KW, words)
    words_ = words_.reshape(groups, blocks // groups * 8, kh, kw, words)[:, :cout_g]
    words_ = words_.reshape(packed.out_channels, kh, kw, words)
    return sign_unpack(words_, packed.in_channels // groups).contiguous()


def _check_args(x: torch.Tensor, packed: PackedBinaryWeight, stride, padding, dilation,
                groups) -> None:
    if x.dim() != 4:
        raise ValueError(f'binary_conv2d: expected an (N, C, H, W) input, got {tuple(x.shape)}')
    if x.shape[1] != packed.in_channels:
        raise ValueError(f'binary_conv2d: input has {x.shape[1]} channels, the '
                         f'weight expects {packed.in_channels}')
    if groups is not None and int(groups) != packed.groups:
        raise ValueError(f'binary_conv2d: groups={groups}, but the weight was packed '
                         f'with groups={packed.groups}')
    if stride < 1 or padding < 0 or dilation < 1:
        raise ValueError(f'binary_conv2d: need stride >= 1, padding >= 0 and dilation >= 1, '
                         f'got stride={stride}, padding={padding}, dilation={dilation}')
    kh, kw = packed.kernel_size
    h, w = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
    if h < dilation * (kh - 1) + 1 or w < dilation * (kw - 1) + 1:
        raise ValueError(f'binary_conv2d: the {kh}x{kw} kernel with dilation {dilation} '
                         f'does not fit the padded {h}x{w} input (empty output)')


def binary_conv2d_reference(x, threshold, packed: PackedBinaryWeight, stride=1,
                            padding=0, scale=None, bias=None, int_output=False,
                            dilation=1, groups=None, residual=None, clamp_min=None,
                            clamp_max=None):
    """Pure-PyTorch :func:`binary_conv2d` (float conv of +-1 values: the sums
    are integers below 2**24, so they are exact in float32)."""
    _check_args(x, packed, stride, padding, dilation, groups)
    if threshold is None:
        threshold = x.mean(dim=(1, 2, 3))
    xs = torch.where(x < threshold.view(-1, 1, 1, 1), -1.0, 1.0)
    w = unpack_binary_weight(packed).to(x.device)
    y = F.conv2d(xs, w, None, stride, padding, dilation, packed.groups)
    if int_output:
        return y.round().to(torch.int32).contiguous(memory_format=torch.channels_last)
    if scale is not None:
        y = y * scale.view(1, -1, 1, 1)
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    if residual is not None:
        y = y + residual
    if clamp_min is not None or clamp_max is not None:
        y = y.clamp(clamp_min, clamp_max)
    return y.contiguous(memory_format=torch.channels_last)


def binary_conv2d(x: torch.Tensor, threshold: Optional[torch.Tensor], packed: PackedBinaryWeight,
                  stride: int = 1, padding: int = 0,
                  scale: Optional[torch.Tensor] = None,
                  bias: Optional[torch.Tensor] = None,
                  int_output: bool = False, dilation: int = 1,
                  groups: Optional[int] = None, residual: Optional[torch.Tensor] = None,
                  clamp_min: Optional[float] = None,
                  clamp_max: Optional[float] = None) -> torch.Tensor:
    """Binary conv2d of ``sign(x - threshold)`` with a packed +-1 weight.

    Args:
        x (Tensor): float32 (N, Cin, H, W); channels_last is fastest on the CPU.
        threshold (Tensor, optional): float32 (N,); None means the
            per-sample mean over (C, H, W), computed inside the op.
        packed (PackedBinaryWeight): from :func:`pack_binary_weight`.
        stride, padding, dilation (int): as ``F.conv2d`` (zero padding).
        scale, bias (Tensor, optional): float32 (Cout,) epilogue.
        int_output (bool): return the exact int32 sums instead.
        groups (int, optional): as ``F.conv2d``; the weight is packed for its
            groups, so this only checks that they match (None: ``packed.groups``).
        residual (Tensor, optional): (N, Cout, Ho, Wo), added to the float
            output after the epilogue.
        clamp_min, clamp_max (float, optional): then clamp the float output
            as ``torch.clamp`` (hardtanh, ReLU). ``act(y * scale + bias +
            residual)`` is one pass over the output, equal to the separate ops.

    Returns:
        Tensor: (N, Cout, Ho, Wo) in channels_last memory format.
    """
    stride, padding, dilation = int(stride), int(padding), int(dilation)
    _check_args(x, packed, stride, padding, dilation, groups)
    use_ext = ext_module is not None and (not x.is_cuda or ext_module.built_with_cuda())
    if int_output and (residual is not None or clamp_min is not None or clamp_max is not None):
        raise ValueError('binary_conv2d: residual and clamp need the float output')
    if not use_ext:
        return binary_conv2d_reference(x, threshold, packed, stride, padding,
                                       scale, bias, int_output, dilation,
                                       residual=residual, clamp_min=clamp_min,
                                       clamp_max=clamp_max)
    if not x.is_cuda:
        _log_isa_once()
    return ext_module.binary_conv2d(
        x.float(), None if threshold is None else threshold.float(),
        packed.blocked, packed.neg_count,
        packed.out_channels, stride, padding,
        None if scale is None else scale.float(),
        None if bias is None else bias.float(), bool(int_output), dilation, packed.groups,
        None if residual is None else residual.float(),
        None if clamp_min is None else float(clamp_min),
        None if clamp_max is None else float(clamp_max))
