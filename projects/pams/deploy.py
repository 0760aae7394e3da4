"""Deploy a trained PAMS EDSR: a real int8 model and bit-packed weight storage."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmagic.models.editors.edsr.edsr_net import EDSRNet

from mmlean.quant import QuantConv2d, pack_codes, packed_nbytes, qmax_for_bits, unpack_codes
from mmlean.quant.form_choice import FormChoice, choose_fastest, describe_forms, exact_candidates
from mmlean.quant.int8 import (ACT_ZERO_POINT, FORMS, FloatConvOnCodes, Int8Conv2d, clamp_codes,
                               direct_is_exact, quantize_act, round_to_grid_, select_engine,
                               weight_codes)
from .int8_tail import build_int8_tail
from .quantize_arch import PAMSResidualBlock


class Int8Block(nn.Module):
    """One PAMS residual block on torch's int8 kernels (``'direct'`` or ``'safe'``).

    Takes the block input as quint8 codes on ``quant_in``'s grid (or FP32,
    quantized here) and returns the quantized sum on the next block's input
    grid (FP32 after the last block). ``'safe'`` splits the first conv's
    weights and carries the ReLU output with zero point 0, so neither conv can
    saturate without VNNI (:mod:`mmlean.quant.int8`).
    """

    def __init__(self, block: PAMSResidualBlock, next_scale: Optional[float], form: str):
        super().__init__()
        self.form = form
        self.in_scale = block.quant_in.scale
        self.mid_zero_point = ACT_ZERO_POINT if form == 'direct' else 0
        self.conv1 = Int8Conv2d(block.conv1, block.quant_mid.scale, relu=True, mode=form,
                                out_zero_point=self.mid_zero_point)
        # conv2 requantizes res_scale * y onto quant_out's grid
        self.conv2 = Int8Conv2d(block.conv2, block.quant_out.scale / block.res_scale,
                                signed_input=form == 'direct', mode=form)
        self.out_scale, self.res_scale, self.next_scale = (block.quant_out.scale,
                                                           block.res_scale, next_scale)

    def forward(self, x):
        q = x if x.is_quantized else quantize_act(x, self.in_scale)
        mid = self.conv1(q)
        if self.mid_zero_point == 0:
            mid = clamp_codes(mid)  # zero point 128 clamped at 127 levels for free
        h = self.conv2(mid)
        if self.res_scale != 1:  # the codes are quant_out's; give them its step
            h = torch._make_per_tensor_quantized_tensor(h.int_repr(), self.out_scale,
                                                        h.q_zero_point())
        if self.next_scale is None:
            return h.dequantize() + q.dequantize()
        return torch.ops.quantized.add(h, q, self.next_scale, q.q_zero_point())


class FloatBlock(nn.Module):
    """One PAMS residual block as FP32 convs on the dequantized int8 weights
    (:class:`~mmlean.quant.int8.FloatConvOnCodes`), activations rounded onto the
    same grids in place: ``xq = Q(x); out = Q_out(rs * conv2(Q_mid(relu(conv1(xq))))) + xq``
    (PAMS Fig. 1), equal to the fake-quantized block up to float rounding. The
    deployment form for CPUs whose FP32 kernels outrun their int8 ones."""

    form = 'float'

    def __init__(self, block: PAMSResidualBlock, next_scale: Optional[float] = None):
        super().__init__()
        self.conv1 = FloatConvOnCodes(block.conv1)
        self.conv2 = FloatConvOnCodes(block.conv2)
        self.in_scale, self.mid_scale = block.quant_in.scale, block.quant_mid.scale
        self.out_scale, self.res_scale = block.quant_out.scale, block.res_scale
        self.qmax = qmax_for_bits(block.quant_in.bits)

    def forward(self, x):
        x = x.dequantize() if x.is_quantized else x
        q = self.qmax
        xq = (x / self.in_scale).round_().clamp_(-q, q).mul_(self.in_scale)
        mid = round_to_grid_(self.conv1(xq).relu_(), self.mid_scale, 0, q)
        h = self.conv2(mid)
        if self.res_scale != 1:
            h.mul_(self.res_scale)
        return round_to_grid_(h, self.out_scale, -q, q).add_(xq)


class Int8EDSR(nn.Module):
    """A PAMS-quantized mmagic EDSRNet deployed on the CPU's fastest exact kernels.

    The residual body runs block by block in one of three forms, all computing
    the fake-quantized model (the int8 ones within one level, the FP32 one up
    to float rounding): ``'direct'`` int8 convs with int32 accumulation and
    quantized adds that requantize straight onto the next block's grid;
    ``'safe'``, the int8 form that cannot saturate where the kernels add u8 x s8
    pairs in int16 (no VNNI, see :mod:`mmlean.quant.int8`); ``'float'``, FP32
    convs on the dequantized int8 weights (:class:`FloatBlock`). Head and tail
    stay FP32 (as PAMS trains them) and run in channels-last.

    ``mode='auto'`` (default) times, per block shape, every form that is exact
    on this CPU (``'direct'`` only where :func:`direct_is_exact` says so) on a
    ``timing_size`` input and keeps the fastest, so the deployment is never the
    int8 form where FP32 kernels are faster (AVX2-only cores). The choice is
    cached (:mod:`mmlean.quant.form_choice`) and reported by
    :meth:`describe_forms`; ``mode='direct' | 'safe' | 'float'`` overrides it.
    ``self.forms`` lists each block's form; ``self.exact_path`` is the first's.

    With ``int8_tail=True`` the upsampler and the last conv run in int8 too
    (:class:`~.int8_tail.Int8Upsampler`, post-training quantized from
    ``calib``): a deployment choice beyond the paper, which keeps them FP32.

    Args:
        net (EDSRNet): a calibrated 8-bit PAMS EDSR.
        mode (str): 'auto', 'direct', 'safe' or 'float'.
        int8_tail (bool): quantize the upsampler and the last conv as well.
        calib (sequence of Tensor): calibration images (N, 3, H, W) in the
            network's input range, needed with ``int8_tail``.
        tail_act_bits (int): 8, or 7 (no split without VNNI) for the tail's inputs.
        tail_weight_bits (int): 8, or 7 (likewise) for the tail's weights.
        timing_size (int): height and width of the LR feature map the forms are
            timed on in ``'auto'`` mode (the deployment's typical input).
        form_cache (str | bool | None): the timing cache file; None for the
            default, False to time on every build.
    """

    def __init__(self, net: EDSRNet, mode: str = 'auto', int8_tail: bool = False,
                 calib: Optional[Sequence[torch.Tensor]] = None, tail_act_bits: int = 8,
                 tail_weight_bits: int = 8, timing_size: int = 64,
                 form_cache: Union[str, bool, None] = None):
        super().__init__()
        if mode not in ('auto', ) + FORMS:
            raise ValueError(f"Int8EDSR mode must be 'auto' or one of {FORMS}, got {mode!r}")
        blocks = list(net.body)
        if not blocks or not all(isinstance(b, PAMSResidualBlock) for b in blocks):
            raise TypeError('Int8EDSR needs an EDSRNet quantized by PAMS (PAMSResidualBlock body)')
        bits = {b.conv1.bits for b in blocks} | {b.quant_in.bits for b in blocks}
        if bits != {8}:
            raise ValueError(f'int8 execution needs an 8-bit PAMS model, got bits {sorted(bits)}; '
                             'export 2/4-bit models as packed storage (export_packed)')
        if not all(b.quantize_input for b in blocks):
            raise ValueError('int8 execution needs quantize_all_conv_inputs=True: with the '
                             "official placement each block's first conv reads FP32 activations")
        if not all(bool(b.quant_in.initialized) for b in blocks):
            raise ValueError('the PAMS model is not calibrated (alpha not initialised)')
        self.engine = select_engine()
        # the exact int8 form of this CPU (the tail follows it)
        c = blocks[0].conv2
        self.int8_form = 'direct' if direct_is_exact(
            self.engine, c.in_channels, c.out_channels, tuple(c.kernel_size), tuple(c.stride),
            tuple(c.padding), tuple(c.dilation), c.groups, 255) else 'safe'
        self.tail = None
        if int8_tail:
            tail_mode = mode if mode in ('direct', 'safe') else 'auto'
            self.tail = build_int8_tail(net, calib, tail_act_bits, tail_weight_bits, tail_mode)
        self.register_buffer('mean', net.mean.detach().clone())
        self.register_buffer('std', net.std.detach().clone())
        cl = torch.channels_last
        self.conv_first = net.conv_first.to(memory_format=cl)
        self.conv_after_body = net.conv_after_body.to(memory_format=cl)
        self.upsample = net.upsample.to(memory_format=cl)
        self.conv_last = net.conv_last.to(memory_format=cl)
        self.form_choices: Dict[str, FormChoice] = {}
        self.blocks = nn.ModuleList()
        for i, b in enumerate(blocks):
            nxt = blocks[i + 1].quant_in.scale if i + 1 < len(blocks) else None
            form = mode if mode != 'auto' else self._timed_form(b, timing_size, form_cache)
            self.blocks.append(FloatBlock(b, nxt) if form == 'float' else Int8Block(b, nxt, form))
        self.forms = [blk.form for blk in self.blocks]
        self.exact_path = self.forms[0]

    def _timed_form(self, block: PAMSResidualBlock, size: int, cache) -> str:
        c1 = block.conv1
        key = (f'PAMS EDSR block {c1.in_channels}->{c1.out_channels} k{c1.kernel_size[0]} '
               f'res_scale {block.res_scale} on 1x{c1.in_channels}x{size}x{size}')
        if key not in self.form_choices:
            candidates = exact_candidates(FORMS, self.int8_form == 'direct')
            x = torch.randn(1, c1.in_channels, size, size).contiguous(
                memory_format=torch.channels_last) * float(block.quant_in.alpha.detach()) / 3
            xq = quantize_act(x, block.quant_in.scale)
            runs = {}
            for form in candidates:
                blk = (FloatBlock(block, block.quant_in.scale) if form == 'float' else
                       Int8Block(block, block.quant_in.scale, form))
                arg = x if form == 'float' else xq
                runs[form] = lambda blk=blk, arg=arg: blk(arg)
            self.form_choices[key] = choose_fastest(runs, key, cache)
        return self.form_choices[key].choice

    def describe_forms(self) -> str:
        """Which form each block runs in and, in 'auto' mode, the timings behind it."""
        return describe_forms('body blocks', self.forms, self.form_choices)

    @torch.no_grad()
    def forward(self, x):
        x = ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        head = self.conv_first(x)
        h = head
        for block in self.blocks:
            h = block(h)
        res = self.conv_after_body(h) + head
        if self.tail is not None:
            return self.tail(res)
        out = self.conv_last(self.upsample(res))
        return (out * self.std + self.mean).contiguous()


def quantized_convs(net: nn.Module):
    return [(n, m) for n, m in net.named_modules() if isinstance(m, QuantConv2d)]


def export_packed(net: nn.Module) -> Dict:
    """Weights of a PAMS generator as stored for deployment.

    Quantized conv weights become bit-packed codes plus one FP32 scale each
    (8-bit: a byte per weight; 4-bit: two per byte; 2-bit: four); every other
    tensor (head, tail, biases, alphas) stays FP32, as PAMS keeps them.
    """
    qconvs = dict(quantized_convs(net))
    packed, fp = {}, {}
    for key, value in net.state_dict().items():
        owner, _, leaf = key.rpartition('.')
        if owner in qconvs and leaf == 'weight':
            conv = qconvs[owner]
            codes, scale = weight_codes(conv)
            packed[key] = dict(bits=conv.bits, shape=list(codes.shape), scale=scale,
                               data=pack_codes(codes, conv.bits))
        else:
            fp[key] = value.detach().clone()
    return dict(packed=packed, fp=fp)


def load_packed(net: nn.Module, export: Dict) -> nn.Module:
    """Load :func:`export_packed` output into a PAMS generator of the same config."""
    state = dict(export['fp'])
    for key, entry in export['packed'].items():
        codes = unpack_codes(entry['data'], entry['bits'], entry['shape'])
        state[key] = codes.float() * entry['scale']
    net.load_state_dict(state, strict=True)
    return net


def storage_report(net: nn.Module) -> Dict[str, int]:
    """Weight bytes of the FP32 model vs the packed deployment (:func:`export_packed`).

    ``quantized_*`` counts only the quantized convs' weights (the layers PAMS
    compresses); ``model_*`` counts every parameter, so its ratio is the
    paper's compression ratio (head, tail and biases stay FP32).
    """
    q_fp32 = q_packed = 0
    for _, conv in quantized_convs(net):
        n = conv.weight.numel()
        q_fp32 += 4 * n
        q_packed += packed_nbytes(n, conv.bits) + 4  # + the FP32 scale
    total = sum(p.numel() for p in net.parameters()) * 4
    return dict(quantized_fp32=q_fp32, quantized_packed=q_packed, model_fp32=total,
                model_packed=total - q_fp32 + q_packed)
