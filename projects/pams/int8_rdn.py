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
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.editors.rdn.rdn_net import RDNNet

from mmlean.quant import QuantConv2d
from mmlean.quant.form_choice import FormChoice, choose_fastest, describe_forms, exact_candidates
from mmlean.quant.int8 import (ACT_ZERO_POINT, FORMS, FloatConvOnCodes, Int8Conv2d, direct_is_exact,
                               quantize_act, round_to_grid_, select_engine, weight_codes)
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
        self.in_scale = block.quant_in.scale
        self.form = mode

    def forward(self, xq: torch.Tensor):
        if not xq.is_quantized:
            xq = quantize_act(xq, self.in_scale)
        pieces = [xq]
        h = xq
        for j, conv in enumerate(self.convs):
            if j > 0:
                h = _signed_grid_cat(pieces, self.cat_scales[j - 1], self.clamp_low[j - 1])
            pieces.append(conv(h))
        h = _signed_grid_cat(pieces, self.cat_scales[-1], self.clamp_low[-1])
        return [torch.clamp(torch.ops.quantized.add(lff(h), xq, s, ACT_ZERO_POINT),
                            -127 * s, 127 * s) for lff, s in zip(self.lffs, self.out_scales)]


class FloatRDB(nn.Module):
    """A PAMS residual dense block as FP32 convs on the dequantized int8 weights
    (:class:`~mmlean.quant.int8.FloatConvOnCodes`): ``xq = Q(x)``, dense layer j reads
    ``Q_j(cat[xq, o_0 .. o_{j-1}])`` and writes ``o_j = relu(conv_j(.))``, the fusion reads
    ``Q_lff(cat[...])``, output ``xq + lff(.)`` (the fake-quantized
    :class:`~.quantize_arch.PAMSRDB` with every conv input quantized), equal to it up to
    float rounding. Returns the output once per reader, as :class:`Int8RDB` does (FP32
    values; the reader quantizes them)."""

    form = 'float'

    def __init__(self, block: PAMSRDB, readers: int):
        super().__init__()
        convs = [layer.conv for layer in block.layers]
        self.convs = nn.ModuleList(FloatConvOnCodes(c) for c in convs)
        self.lff = FloatConvOnCodes(block.lff)
        self.in_scale = block.quant_in.scale
        self.cat_scales = [c.input_quant.scale for c in convs[1:]] + [block.lff.input_quant.scale]
        self.readers = readers

    def forward(self, x: torch.Tensor):
        x = x.dequantize() if x.is_quantized else x
        xq = (x / self.in_scale).round_().clamp_(-127, 127).mul_(self.in_scale)
        pieces = [xq]
        h = xq
        for j, conv in enumerate(self.convs):
            if j > 0:
                h = round_to_grid_(torch.cat(pieces, 1), self.cat_scales[j - 1], -127, 127)
            pieces.append(conv(h).relu_())
        h = round_to_grid_(torch.cat(pieces, 1), self.cat_scales[-1], -127, 127)
        return [self.lff(h).add_(xq)] * self.readers


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
    kernels can saturate (no VNNI) they run in the split-weight form. As in
    :class:`~.deploy.Int8EDSR`, ``mode='auto'`` times each block in the exact
    int8 form and as FP32 convs on the dequantized int8 weights
    (:class:`FloatRDB`) on a ``timing_size`` input and keeps the faster, cached
    per machine; ``mode='direct' | 'safe' | 'float'`` overrides it.
    ``self.forms`` lists each block's form, ``self.exact_path`` the first's,
    ``describe_forms()`` the timings.

    Args:
        net (RDNNet): a calibrated 8-bit PAMS RDN with
            ``quantize_all_conv_inputs=True``.
        mode (str): 'auto', 'direct', 'safe' or 'float'.
        int8_tail, calib, tail_act_bits, tail_weight_bits, timing_size, form_cache: as
            for :class:`~.deploy.Int8EDSR`.
    """

    def __init__(self, net: RDNNet, mode: str = 'auto', int8_tail: bool = False,
                 calib: Optional[Sequence[torch.Tensor]] = None, tail_act_bits: int = 8,
                 tail_weight_bits: int = 8, timing_size: int = 32,
                 form_cache: Union[str, bool, None] = None):
        super().__init__()
        if mode not in ('auto', ) + FORMS:
            raise ValueError(f"Int8RDN mode must be 'auto' or one of {FORMS}, got {mode!r}")
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
        self.int8_form = (mode if mode in ('direct', 'safe') else
                          _probe_mode(blocks[0].layers[-1].conv, self.engine))
        self.tail = None
        if int8_tail:
            self.tail = build_int8_tail(net, calib, tail_act_bits, tail_weight_bits,
                                        self.int8_form)
        cl = torch.channels_last
        self.sfe1 = net.sfe1.to(memory_format=cl)
        self.sfe2 = net.sfe2.to(memory_format=cl)
        self.upscale = net.upscale.to(memory_format=cl)
        self.output = net.output.to(memory_format=cl)
        self.in_scale = blocks[0].quant_in.scale
        gff_scale = gff0.input_quant.scale
        self.gff_scale = gff_scale
        self.form_choices: Dict[str, FormChoice] = {}
        self.rdbs = nn.ModuleList()
        for i, b in enumerate(blocks):
            outs = [gff_scale] + ([blocks[i + 1].quant_in.scale] if i + 1 < len(blocks) else [])
            form = mode if mode != 'auto' else self._timed_form(b, timing_size, form_cache)
            self.rdbs.append(FloatRDB(b, len(outs)) if form == 'float' else
                             Int8RDB(b, outs, form))
        self.forms = [rdb.form for rdb in self.rdbs]
        self.exact_path = self.forms[0]
        self.gff0 = Int8Conv2d(gff0, gff1.input_quant.scale, mode=self.int8_form)
        self.gff1_in_scale = gff1.input_quant.scale
        codes, w_scale = weight_codes(gff1)
        self.register_buffer('gff1_weight', (codes.float() * w_scale).contiguous(memory_format=cl))
        self.register_buffer('gff1_bias', gff1.bias.detach().clone())
        self.gff1_padding = gff1.padding

    def _timed_form(self, block: PAMSRDB, size: int, cache) -> str:
        c0 = block.layers[0].conv
        key = (f'PAMS RDB {c0.in_channels} ch, {len(block.layers)} dense layers of '
               f'{c0.out_channels} on 1x{c0.in_channels}x{size}x{size}')
        if key not in self.form_choices:
            candidates = exact_candidates(FORMS, self.int8_form == 'direct')
            x = torch.randn(1, c0.in_channels, size, size).contiguous(
                memory_format=torch.channels_last) * float(block.quant_in.alpha.detach()) / 3
            xq = quantize_act(x, block.quant_in.scale)
            scales = [block.quant_in.scale] * 2  # a middle block: two readers
            runs = {}
            for form in candidates:
                rdb = FloatRDB(block, 2) if form == 'float' else Int8RDB(block, scales, form)
                arg = x if form == 'float' else xq
                runs[form] = lambda rdb=rdb, arg=arg: rdb(arg)
            self.form_choices[key] = choose_fastest(runs, key, cache)
        return self.form_choices[key].choice

    def describe_forms(self) -> str:
        """Which form each block runs in and, in 'auto' mode, the timings behind it."""
        return describe_forms('dense blocks', self.forms, self.form_choices)

    @torch.no_grad()
    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)
        sfe1 = self.sfe1(x)
        q = quantize_act(self.sfe2(sfe1), self.in_scale)
        to_gff = []
        for rdb in self.rdbs:
            outs = rdb(q)
            first = outs[0]
            to_gff.append(first if first.is_quantized else quantize_act(first, self.gff_scale))
            q = outs[-1]
        s = self.gff1_in_scale
        g = torch.clamp(self.gff0(torch.cat(to_gff, dim=1)), -127 * s, 127 * s).dequantize()
        res = F.conv2d(g, self.gff1_weight, self.gff1_bias, padding=self.gff1_padding) + sfe1
        if self.tail is not None:
            return self.tail(res)
        return self.output(self.upscale(res)).contiguous()
