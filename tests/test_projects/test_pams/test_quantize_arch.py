"""Where PAMS puts its quantizers in mmagic's EDSRNet and RDNNet (official PAMS code,
model/edsr.py and model/rdn.py)."""
import pytest
import torch
import torch.nn as nn

from mmlean.quant import PAMSActQuantizer, QuantConv2d
from .conftest import calibrate, small_edsr, small_rdn


def names(net, cls):
    return [n for n, m in net.named_modules() if type(m) is cls]


def test_edsr_body_quantized_head_and_tail_full_precision(build):
    import mmlean.projects.pams as pams
    net = build(small_edsr())
    fp_keys = set(net.state_dict())
    pams.quantize_sr_generator(net, 4)
    assert names(net, QuantConv2d) == [f'body.{i}.conv{j}' for i in range(3) for j in (1, 2)]
    assert len(names(net, PAMSActQuantizer)) == 3 * 3  # input, after ReLU, block output
    plain = names(net, nn.Conv2d)
    assert plain == ['conv_first', 'conv_after_body', 'upsample.0.upsample_conv', 'conv_last']
    # FP keys survive; only quantizer state is new
    new = set(net.state_dict()) - fp_keys
    assert fp_keys <= set(net.state_dict())
    assert all(k.split('.')[-1] in ('alpha', 'initialized', 'calib_sum', 'calib_batches')
               for k in new)


@pytest.mark.parametrize('fixed', [True, False])
def test_edsr_first_conv_input_quantized_only_with_the_fix(build, fixed):
    import mmlean.projects.pams as pams
    net = calibrate(pams.quantize_sr_generator(build(small_edsr()), 4, fixed), 2, 3, 12, 12)
    block = net.body[1]
    seen = {}
    block.conv1.register_forward_pre_hook(lambda m, i: seen.__setitem__('x', i[0].detach()))
    with torch.no_grad():
        net(torch.rand(1, 3, 12, 12))
    levels = seen['x'] / block.quant_in.scale
    on_grid = torch.allclose(levels, levels.round(), atol=1e-3)
    assert on_grid == fixed  # official placement (fixed=False) feeds conv1 FP32 (issue #14)


def test_edsr_block_computes_the_pams_formula(build):
    import mmlean.projects.pams as pams
    net = calibrate(pams.quantize_sr_generator(build(small_edsr(res_scale=0.5)), 8), 2, 3, 12, 12)
    b = net.body[0]
    x = torch.randn(1, 16, 6, 6)
    with torch.no_grad():
        xq = b.quant_in(x)
        expected = b.quant_out(0.5 * b.conv2(b.quant_mid(torch.relu(b.conv1(xq))))) + xq
        assert torch.allclose(b(x), expected)


@pytest.mark.parametrize('fixed,gff_quantizers', [(True, 2), (False, 1)])
def test_rdn_placement(build, fixed, gff_quantizers):
    import mmlean.projects.pams as pams
    net = pams.quantize_sr_generator(build(small_rdn()), 8, fixed)
    qconvs = names(net, QuantConv2d)
    assert len(qconvs) == 3 * (4 + 1) + 2  # dense convs + LFF per RDB, both GFF convs
    assert names(net, nn.Conv2d) == ['sfe1', 'sfe2', 'upscale.0', 'output']
    per_block = [n for n in names(net, PAMSActQuantizer) if n.startswith('rdbs.0.')]
    assert per_block == ['rdbs.0.quant_in', 'rdbs.0.layers.1.conv.input_quant',
                         'rdbs.0.layers.2.conv.input_quant', 'rdbs.0.layers.3.conv.input_quant',
                         'rdbs.0.lff.input_quant']
    gff = [n for n in names(net, PAMSActQuantizer) if n.startswith('gff')]
    assert len(gff) == gff_quantizers
    calibrate(net, 1, 3, 10, 10)
    assert net(torch.rand(1, 3, 10, 10)).shape == (1, 3, 20, 20)


def test_unsupported_generator_and_bits(build):
    import mmlean.projects.pams as pams
    with pytest.raises(TypeError, match='PAMS quantizes EDSRNet, RDNNet; got Conv2d'):
        pams.quantize_sr_generator(nn.Conv2d(3, 3, 3), 8)
    with pytest.raises(ValueError, match='supported bit widths are 2, 4, 8'):
        pams.quantize_sr_generator(build(small_edsr()), 6)
