"""Put PAMS's quantizers into mmagic's EDSRNet and RDNNet by module swapping.

Placement follows the official PAMS code (model/edsr.py, model/rdn.py): head,
tail and the last body conv stay full precision; every conv inside the
residual blocks (EDSR) or residual dense blocks and the global feature fusion
(RDN) gets k-bit weights, and activations are quantized where the official
code quantizes them. Children keep their names, so a full-precision checkpoint
loads into the quantized network; only the quantizers' keys are new.

Deviation, on purpose (``quantize_all_conv_inputs=True``, the default): the
official code feeds the first conv of each EDSR block, and the second GFF
conv of RDN, with full-precision activations (colorjam/PAMS issue #14),
unlike the paper's Fig. 1. We quantize those inputs too, so every quantized
conv sees a quantized input, as the paper draws it and as an integer engine
needs. With True an RDN dense layer also concatenates its unquantized input
(mmagic's ``DenseLayer``), each later consumer quantizing the concatenation
once on its own grid. ``False`` reproduces the official forward exactly,
for the released models: FP inputs where the official code has them, and
in each RDB the official re-quantized concatenation (``PAMS_RDB_Conv_in``
passes ``act(x)``, not ``x``, on to the next layer, so early channels are
rounded again by every later quantizer).
"""
import torch
import torch.nn as nn
from mmagic.models.archs import ResidualBlockNoBN
from mmagic.models.editors.edsr.edsr_net import EDSRNet
from mmagic.models.editors.rdn.rdn_net import RDB, RDNNet

from mmlean.quant import PAMSActQuantizer, QuantConv2d, check_bits


class PAMSResidualBlock(nn.Module):
    """EDSR residual block with PAMS quantizers (PAMS Fig. 1).

    ``xq = Qa(x); out = Qa_out(res_scale * conv2(Qa_mid(relu(conv1(xq))))) + xq``,
    convs with k-bit weights. The shortcut carries ``xq`` as in the official code.
    """

    def __init__(self, block: ResidualBlockNoBN, bits: int, quantize_input: bool = True):
        super().__init__()
        self.res_scale = block.res_scale
        self.quantize_input = quantize_input
        self.quant_in = PAMSActQuantizer(bits)
        self.conv1 = QuantConv2d.from_float(block.conv1, bits)
        self.relu = nn.ReLU(inplace=True)
        self.quant_mid = PAMSActQuantizer(bits)
        self.conv2 = QuantConv2d.from_float(block.conv2, bits)
        self.quant_out = PAMSActQuantizer(bits)

    def forward(self, x):
        xq = self.quant_in(x)
        h = self.conv1(xq if self.quantize_input else x)
        h = self.quant_mid(self.relu(h))
        h = self.conv2(h) * self.res_scale
        return self.quant_out(h) + xq


class PAMSRDB(nn.Module):
    """RDN residual dense block with PAMS quantizers (official ``PAMS_RDB``).

    The block input is quantized (and is the local shortcut), each dense
    layer after the first quantizes its concatenated input, and the 1x1 local
    feature fusion quantizes its input; all convs have k-bit weights. With
    ``pass_quantized_concat`` a dense layer passes its quantized input on in
    the concatenation (the official forward), else its unquantized input.
    """

    def __init__(self, block: RDB, bits: int, pass_quantized_concat: bool = False):
        super().__init__()
        self.pass_quantized_concat = pass_quantized_concat
        self.quant_in = PAMSActQuantizer(bits)
        self.layers = block.layers
        for j, layer in enumerate(self.layers):
            layer.conv = QuantConv2d.from_float(
                layer.conv, bits, input_quant=PAMSActQuantizer(bits) if j > 0 else None)
        self.lff = QuantConv2d.from_float(block.lff, bits, input_quant=PAMSActQuantizer(bits))

    def forward(self, x):
        xq = self.quant_in(x)
        if not self.pass_quantized_concat:
            return xq + self.lff(self.layers(xq))
        out = xq
        for layer in self.layers:
            conv = layer.conv
            if conv.input_quant is not None:
                out = conv.input_quant(out)
            out = torch.cat([out, layer.relu(conv.conv_quantized_input(out))], 1)
        return xq + self.lff(out)


def quantize_edsr(net: EDSRNet, bits: int, quantize_all_conv_inputs: bool = True) -> EDSRNet:
    """Swap the residual blocks of ``net`` (in place) for :class:`PAMSResidualBlock`."""
    check_bits(bits)
    for i, block in enumerate(net.body):
        if not isinstance(block, ResidualBlockNoBN):
            raise TypeError(
                f'EDSRNet.body[{i}] is {type(block).__name__}, expected ResidualBlockNoBN')
        net.body[i] = PAMSResidualBlock(block, bits, quantize_all_conv_inputs)
    return net


def quantize_rdn(net: RDNNet, bits: int, quantize_all_conv_inputs: bool = True) -> RDNNet:
    """Swap the RDBs and the GFF convs of ``net`` (in place) for quantized ones."""
    check_bits(bits)
    for i, block in enumerate(net.rdbs):
        net.rdbs[i] = PAMSRDB(block, bits, pass_quantized_concat=not quantize_all_conv_inputs)
    net.gff[0] = QuantConv2d.from_float(net.gff[0], bits, input_quant=PAMSActQuantizer(bits))
    net.gff[1] = QuantConv2d.from_float(
        net.gff[1], bits,
        input_quant=PAMSActQuantizer(bits) if quantize_all_conv_inputs else None)
    return net


#: generator type -> (quantize function, module whose input is the SKT feature)
SUPPORTED_GENERATORS = {EDSRNet: (quantize_edsr, 'upsample'), RDNNet: (quantize_rdn, 'upscale')}


def _entry(net: nn.Module):
    for cls, entry in SUPPORTED_GENERATORS.items():
        if isinstance(net, cls):
            return entry
    names = ', '.join(c.__name__ for c in SUPPORTED_GENERATORS)
    raise TypeError(f'PAMS quantizes {names}; got {type(net).__name__}')


def quantize_sr_generator(net: nn.Module, bits: int,
                          quantize_all_conv_inputs: bool = True) -> nn.Module:
    """Quantize the body of an mmagic EDSRNet or RDNNet in place (PAMS Sec. 3)."""
    return _entry(net)[0](net, bits, quantize_all_conv_inputs)


def skt_feature_module(net: nn.Module) -> str:
    """Name of the module whose input is the distilled feature (body + global skip)."""
    return _entry(net)[1]


def act_quantizers(model: nn.Module):
    """All :class:`PAMSActQuantizer` modules of ``model``, in order."""
    return [m for m in model.modules() if isinstance(m, PAMSActQuantizer)]


@torch.no_grad()
def set_calibrating(model: nn.Module, calibrating: bool) -> None:
    """Switch the data-driven alpha initialisation on or off for every quantizer."""
    for m in act_quantizers(model):
        m.calibrating = calibrating
