"""Integer-kernel conv against the fake-quantized conv it is built from."""
import pytest
import torch

from mmlean.quant import PAMSActQuantizer, QuantConv2d

int8 = pytest.importorskip('mmlean.quant.int8')


@pytest.mark.parametrize('relu', [False, True])
def test_int8_conv_matches_fake_quant_within_one_level(relu):
    int8.select_engine()
    torch.manual_seed(0)
    in_q, out_q = PAMSActQuantizer(8), PAMSActQuantizer(8)
    with torch.no_grad():
        in_q.alpha.fill_(2.0)
        out_q.alpha.fill_(3.0)
    conv = QuantConv2d(8, 16, 3, padding=1, bits=8)
    x = torch.randn(2, 8, 10, 10)
    with torch.no_grad():
        y = conv(in_q(x))
        ref = out_q(torch.relu(y) if relu else y)
        qconv = int8.int8_conv(conv, out_q.scale, relu=relu)
        got = qconv(int8.quantize_act(x, in_q.scale)).dequantize()
    levels = ((got - ref) / out_q.scale).abs()
    assert levels.max() <= 1 + 1e-4
    assert (levels > 0.5).float().mean() < 0.01  # almost all exactly equal


def test_weight_codes_are_the_fake_quantizers_levels():
    conv = QuantConv2d(4, 4, 3, bits=4)
    codes, scale = int8.weight_codes(conv)
    assert codes.abs().max() <= 7
    assert torch.allclose(codes.float() * scale, conv.weight_quant(conv.weight).detach(), atol=1e-6)
