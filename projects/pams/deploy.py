"""Deploy a trained PAMS EDSR: a real int8 model and bit-packed weight storage."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmagic.models.editors.edsr.edsr_net import EDSRNet

from mmlean.quant import QuantConv2d, pack_codes, packed_nbytes, unpack_codes
from mmlean.quant.int8 import (ACT_ZERO_POINT, Int8Conv2d, clamp_codes, direct_is_exact,
                               quantize_act, select_engine, weight_codes)
from .int8_tail import build_int8_tail
from .quantize_arch import PAMSResidualBlock


class Int8EDSR(nn.Module):
    """A PAMS-quantized mmagic EDSRNet executed with integer kernels.

    The residual body runs as int8 convs with int32 accumulation, the block
    additions as quantized adds that requantize straight onto the next
    block's input grid; head and tail stay FP32 (as PAMS trains them) and run
    in channels-last, the faster layout for them on CPU. Needs the 8-bit
    model with every conv input quantized (``quantize_all_conv_inputs=True``):
    with the official placement the first conv of each block reads FP32.

    The result is exact (within one level of the fake-quantized model) on
    every x86 CPU: where the int8 kernels can saturate (no VNNI, see
    :mod:`mmlean.quant.int8`), each block's first conv runs in the split-weight
    form and the ReLU output between the two convs uses zero point 0, so the
    second conv cannot saturate. ``self.exact_path`` says which was chosen.

    With ``int8_tail=True`` the upsampler and the last conv run in int8 too
    (:class:`~.int8_tail.Int8Upsampler`, post-training quantized from
    ``calib``): a deployment choice beyond the paper, which keeps them FP32.

    Args:
        net (EDSRNet): a calibrated 8-bit PAMS EDSR.
        mode (str): 'auto' (probe the kernels, default), 'direct' (plain int8
            convs: fastest, exact only with VNNI) or 'safe' (the
            saturation-free form everywhere).
        int8_tail (bool): quantize the upsampler and the last conv as well.
        calib (sequence of Tensor): calibration images (N, 3, H, W) in the
            network's input range, needed with ``int8_tail``.
        tail_act_bits (int): 8, or 7 (no split without VNNI) for the tail's inputs.
        tail_weight_bits (int): 8, or 7 (likewise) for the tail's weights.
    """

    def __init__(self, net: EDSRNet, mode: str = 'auto', int8_tail: bool = False,
                 calib: Optional[Sequence[torch.Tensor]] = None, tail_act_bits: int = 8,
                 tail_weight_bits: int = 8):
        super().__init__()
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
        self.tail = None
        if int8_tail:
            self.tail = build_int8_tail(net, calib, tail_act_bits, tail_weight_bits, mode)
        self.register_buffer('mean', net.mean.detach().clone())
        self.register_buffer('std', net.std.detach().clone())
        cl = torch.channels_last
        self.conv_first = net.conv_first.to(memory_format=cl)
        self.conv_after_body = net.conv_after_body.to(memory_format=cl)
        self.upsample = net.upsample.to(memory_format=cl)
        self.conv_last = net.conv_last.to(memory_format=cl)
        self.in_scale = blocks[0].quant_in.scale
        self.conv1s = nn.ModuleList()
        self.conv2s = nn.ModuleList()
        self.add_scales, self.out_scales, self.res_scales = [], [], []
        if mode == 'auto':
            c = blocks[0].conv2
            mode = 'direct' if direct_is_exact(
                self.engine, c.in_channels, c.out_channels, tuple(c.kernel_size),
                tuple(c.stride), tuple(c.padding), tuple(c.dilation), c.groups, 255) else 'safe'
        # safe: the ReLU output between the convs is non-negative codes 0..127 (zp 0)
        self.exact_path = mode
        self.mid_zero_point = ACT_ZERO_POINT if mode == 'direct' else 0
        for i, b in enumerate(blocks):
            self.conv1s.append(Int8Conv2d(b.conv1, b.quant_mid.scale, relu=True, mode=mode,
                                          out_zero_point=self.mid_zero_point))
            # conv2 requantizes res_scale * y onto quant_out's grid
            self.conv2s.append(Int8Conv2d(b.conv2, b.quant_out.scale / b.res_scale,
                                          signed_input=mode == 'direct', mode=mode))
            self.out_scales.append(b.quant_out.scale)
            self.res_scales.append(b.res_scale)
            nxt = blocks[i + 1].quant_in.scale if i + 1 < len(blocks) else None
            self.add_scales.append(nxt)

    @torch.no_grad()
    def forward(self, x):
        x = ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        head = self.conv_first(x)
        q = quantize_act(head, self.in_scale)
        body = None
        for conv1, conv2, add_scale, out_scale, rs in zip(
                self.conv1s, self.conv2s, self.add_scales, self.out_scales, self.res_scales):
            mid = conv1(q)
            if self.mid_zero_point == 0:
                mid = clamp_codes(mid)  # zero point 128 clamped at 127 levels for free
            h = conv2(mid)
            if rs != 1:  # the codes are quant_out's; give them its step
                h = torch._make_per_tensor_quantized_tensor(h.int_repr(), out_scale,
                                                            h.q_zero_point())
            if add_scale is None:
                body = h.dequantize() + q.dequantize()
            else:
                q = torch.ops.quantized.add(h, q, add_scale, q.q_zero_point())
        res = self.conv_after_body(body) + head
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
