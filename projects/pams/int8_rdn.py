"""PAMS RDN on torch's int8 kernels, with a quantized concatenation per dense layer.

The fake-quantized RDB (:class:`~.quantize_arch.PAMSRDB`, the official
``PAMS_RDB``) concatenates the quantized block input with the FP32 ReLU
outputs of the dense layers, and every later layer (and the local feature
fusion) quantizes that whole concatenation with its own alpha. In integer
form each ReLU output is kept once, as 8-bit codes on a grid fine enough for
all its consumers, and each consumer's input is ``quantized.cat`` of the
pieces, which requantizes every piece onto the consumer's grid (one common
scale, zero point 128). A piece is rounded twice (its own grid, then the
consumer's), so a code can differ from the fake-quantized model's by one
level where the FP32 value sits next to a rounding boundary.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.editors.rdn.rdn_net import RDNNet

from mmlean.quant import QuantConv2d
from mmlean.quant.int8 import (ACT_ZERO_POINT, Int8Conv2d, direct_is_exact, quantize_act,
                               select_engine, weight_codes)
from .int8_tail import build_int8_tail
from .quantize_arch import PAMSRDB


def _probe_mode(conv: nn.Conv2d, engine: str) -> str:
    exact = direct_is_exact(engine, conv.in_channels, conv.out_channels, tuple(conv.kernel_size),
                            tuple(conv.stride), tuple(conv.padding), tuple(conv.dilation),
                            conv.groups, 255)
    return 'direct' if exact else 'safe'


def _relu_grid(consumer_scales: Sequence[float]) -> float:
    """Step of a ReLU output's codes 0..255 (zero point 0) read on these signed grids.

    The finest consumer's step where 255 of them reach every consumer's alpha
    (``127 * step``): that consumer then reads the codes unchanged; else the
    step that just reaches the largest alpha.
    """
    lo, hi = min(consumer_scales), max(consumer_scales)
    return lo if 255 * lo >= 127 * hi else hi * 127 / 255


def _signed_grid_cat(pieces, scale: float, clamp_low: bool) -> torch.Tensor:
    """The pieces requantized onto ``{-127..127} * scale`` (zero point 128), concatenated."""
    q = torch.ops.quantized.cat(pieces, 1, scale, ACT_ZERO_POINT)
    return torch.clamp(q, -127 * scale, 127 * scale) if clamp_low else q


class Int8RDB(nn.Module):
    """A PAMS residual dense block (RDN, Zhang et al. 2018; PAMS Sec. 3) in int8.

    Dense layer j reads ``Q_j(cat[x_q, o_0 .. o_{j-1}])``: built by
    ``quantized.cat`` onto layer j's grid; its conv (int8 weights, int32
    accumulation, fused ReLU) writes ``o_j`` as codes 0..255 (zero point 0)
    on a grid that reaches every consumer's alpha (:func:`_relu_grid`). The
    1x1 local fusion reads the full concatenation on its own grid; the block
    output is read on two grids (the next block's input quantizer and the
    global fusion's), so the fusion runs once per reader, writing onto that
    reader's grid, and the local residual is a quantized add onto it. The
    fake-quantized model rounds ``x_q + lff(h)`` once; here ``lff(h)`` is
    rounded first, so where the block input's grid differs from the
    reader's, a code can be one level off (measured: about a fifth of them
    on a random block with near-equal alphas). The fusion's output alone is
    clamped at the reader's alpha, where the fake-quantized model clamps the
    sum: the same wherever ``|lff(h)| <= alpha``.

    Args:
        block (PAMSRDB): the fake-quantized block (8-bit, calibrated).
        out_scales (sequence of float): grids (zero point 128) of the block
            output, one per reader.
        mode (str): 'direct' or 'safe' (:class:`~mmlean.quant.int8.Int8Conv2d`).
    """

    def __init__(self, block: PAMSRDB, out_scales: Sequence[float], mode: str):
        super().__init__()
        convs = [layer.conv for layer in block.layers]
        in_alpha = block.quant_in.scale * 127
        # the grid each dense layer (j >= 1) and the fusion read their concatenation on
        self.cat_scales = [c.input_quant.scale for c in convs[1:]] + [block.lff.input_quant.scale]
        self.clamp_low = [in_alpha > 127.5 * s for s in self.cat_scales]
        self.convs = nn.ModuleList()
        for j, conv in enumerate(convs):
            self.convs.append(Int8Conv2d(conv, _relu_grid(self.cat_scales[j:]), relu=True,
                                         mode=mode, out_zero_point=0))
        # one fusion conv per reader, each writing onto that reader's grid: the residual
        # add then rounds once more only where the block input's grid differs
        self.lffs = nn.ModuleList(Int8Conv2d(block.lff, s, mode=mode) for s in out_scales)
        self.out_scales = list(out_scales)

    def forward(self, xq: torch.Tensor):
        pieces = [xq]
        h = xq
        for j, conv in enumerate(self.convs):
            if j > 0:
                h = _signed_grid_cat(pieces, self.cat_scales[j - 1], self.clamp_low[j - 1])
            pieces.append(conv(h))
        h = _signed_grid_cat(pieces, self.cat_scales[-1], self.clamp_low[-1])
        return [torch.clamp(torch.ops.quantized.add(lff(h), xq, s, ACT_ZERO_POINT),
                            -127 * s, 127 * s) for lff, s in zip(self.lffs, self.out_scales)]


class Int8RDN(nn.Module):
    """A PAMS-quantized mmagic RDNNet executed with integer kernels.

    The residual dense blocks run as :class:`Int8RDB`; their outputs,
    already on the global fusion's input grid, are concatenated and the
    1x1 fusion runs in int8 onto the 3x3 fusion's input grid. That 3x3 conv
    (weights and input quantized, as in the fake-quantized model) runs on
    FP32 kernels over its dequantized codes: its output is FP32 in PAMS and
    feeds the FP32 global residual. Shallow feature extraction, upsampler
    and last conv stay FP32 as PAMS trains them (channels-last), or, with
    ``int8_tail=True``, the upsampler and last conv run in int8 after
    calibration (:class:`~.int8_tail.Int8Upsampler`; beyond the paper).

    Exact on every x86 CPU: every dense conv reads signed codes, so where the
    kernels can saturate (no VNNI) they run in the split-weight form.
    ``self.exact_path`` says which form was chosen.

    Args:
        net (RDNNet): a calibrated 8-bit PAMS RDN with
            ``quantize_all_conv_inputs=True``.
        mode (str): 'auto', 'direct' or 'safe'.
        int8_tail, calib, tail_act_bits, tail_weight_bits: as for
            :class:`~.deploy.Int8EDSR`.
    """

    def __init__(self, net: RDNNet, mode: str = 'auto', int8_tail: bool = False,
                 calib: Optional[Sequence[torch.Tensor]] = None, tail_act_bits: int = 8,
                 tail_weight_bits: int = 8):
        super().__init__()
        blocks = list(net.rdbs)
        if not blocks or not all(isinstance(b, PAMSRDB) for b in blocks):
            raise TypeError('Int8RDN needs an RDNNet quantized by PAMS (PAMSRDB blocks)')
        gff0, gff1 = net.gff
        qconvs = [m for m in net.modules() if isinstance(m, QuantConv2d)]
        bits = {c.bits for c in qconvs} | {b.quant_in.bits for b in blocks}
        if bits != {8}:
            raise ValueError(f'int8 execution needs an 8-bit PAMS model, got bits {sorted(bits)}; '
                             'export 2/4-bit models as packed storage (export_packed)')
        if not isinstance(gff1, QuantConv2d) or gff1.input_quant is None:
            raise ValueError('int8 execution needs quantize_all_conv_inputs=True: with the '
                             'official placement the second GFF conv reads FP32 activations')
        if not all(bool(b.quant_in.initialized) for b in blocks):
            raise ValueError('the PAMS model is not calibrated (alpha not initialised)')
        self.engine = select_engine()
        if mode == 'auto':
            mode = _probe_mode(blocks[0].layers[-1].conv, self.engine)
        self.exact_path = mode
        self.tail = None
        if int8_tail:
            self.tail = build_int8_tail(net, calib, tail_act_bits, tail_weight_bits, mode)
        cl = torch.channels_last
        self.sfe1 = net.sfe1.to(memory_format=cl)
        self.sfe2 = net.sfe2.to(memory_format=cl)
        self.upscale = net.upscale.to(memory_format=cl)
        self.output = net.output.to(memory_format=cl)
        self.in_scale = blocks[0].quant_in.scale
        gff_scale = gff0.input_quant.scale
        self.rdbs = nn.ModuleList()
        for i, b in enumerate(blocks):
            outs = [gff_scale] + ([blocks[i + 1].quant_in.scale] if i + 1 < len(blocks) else [])
            self.rdbs.append(Int8RDB(b, outs, mode))
        self.gff0 = Int8Conv2d(gff0, gff1.input_quant.scale, mode=mode)
        self.gff1_in_scale = gff1.input_quant.scale
        codes, w_scale = weight_codes(gff1)
        self.register_buffer('gff1_weight', (codes.float() * w_scale).contiguous(memory_format=cl))
        self.register_buffer('gff1_bias', gff1.bias.detach().clone())
        self.gff1_padding = gff1.padding

    @torch.no_grad()
    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)
        sfe1 = self.sfe1(x)
        q = quantize_act(self.sfe2(sfe1), self.in_scale)
        to_gff = []
        for rdb in self.rdbs:
            outs = rdb(q)
            to_gff.append(outs[0])
            q = outs[-1]
        s = self.gff1_in_scale
        g = torch.clamp(self.gff0(torch.cat(to_gff, dim=1)), -127 * s, 127 * s).dequantize()
        res = F.conv2d(g, self.gff1_weight, self.gff1_bias, padding=self.gff1_padding) + sfe1
        if self.tail is not None:
            return self.tail(res)
        return self.output(self.upscale(res)).contiguous()
