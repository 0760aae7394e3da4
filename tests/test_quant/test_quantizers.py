"""PAMS quantizers against hand-computed values and the gradients of the official PAMS code
(model/quant_ops.py)."""
import pytest
import torch
import torch.nn.functional as F

from mmlean.quant import (MaxAbsWeightQuantizer, PAMSActQuantizer, QuantConv2d, check_bits,
                          qmax_for_bits, quantize_weight_maxabs)


def test_supported_bits_and_error_names_them():
    assert [qmax_for_bits(b) for b in (2, 4, 8)] == [1, 7, 127]
    with pytest.raises(ValueError, match=r'bits=3 .*supported bit widths are 2, 4, 8'):
        check_bits(3)
    with pytest.raises(ValueError, match='2, 4, 8'):
        PAMSActQuantizer(bits=16)
    with pytest.raises(ValueError, match='2, 4, 8'):
        QuantConv2d(4, 4, 3, bits=1)


def test_weight_quantizer_values_by_hand():
    # 4 bits: qmax 7, m = max|W| = 1 -> W*7 = [2.1, -7, 3.85, 0.49] -> [2, -7, 4, 0] / 7
    w = torch.tensor([0.3, -1.0, 0.55, 0.07])
    expected = torch.tensor([2 / 7, -1.0, 4 / 7, 0.0])
    assert torch.allclose(quantize_weight_maxabs(w, 4), expected, atol=1e-6)
    # 8 bits: m = 0.5, step 0.5/127
    w8 = torch.tensor([0.5, -0.25, 0.1])
    step = 0.5 / 127
    expected8 = torch.tensor([127, -64, 25]) * step  # -63.5 -> -64 (half to even), 25.4 -> 25
    assert torch.allclose(MaxAbsWeightQuantizer(8)(w8), expected8, atol=1e-6)


def test_weight_quantizer_gradient_is_straight_through():
    w = torch.tensor([0.3, -1.0, 0.55, 0.07], requires_grad=True)
    upstream = torch.tensor([1.0, 2.0, 3.0, 4.0])
    (quantize_weight_maxabs(w, 4) * upstream).sum().backward()
    assert torch.allclose(w.grad, upstream)  # the scale max|W| is detached


def act_quantizer(alpha, bits):
    q = PAMSActQuantizer(bits=bits)
    with torch.no_grad():
        q.alpha.fill_(alpha)
    return q


def test_act_quantizer_forward_by_hand():
    q = act_quantizer(2.0, 4)  # step 2/7
    a = torch.tensor([-3.0, -1.1, 0.2, 0.9, 2.5])
    # clamp -> [-2, -1.1, .2, .9, 2]; *3.5 -> [-7, -3.85, .7, 3.15, 7] -> round
    expected = torch.tensor([-7, -4, 1, 3, 7]) * (2 / 7)
    assert torch.allclose(q(a), expected, atol=1e-6)


@pytest.mark.parametrize('bits', [2, 4, 8])
@pytest.mark.parametrize('value', [-3.0, -1.1, 0.2, 0.9, 1.3, 2.5])
def test_act_quantizer_gradients_match_the_official_code(bits, value):
    """d/da = 1 inside, 0 outside; d/dalpha = sign(a) outside, the rounding residual inside."""
    alpha, qmax = 2.0, qmax_for_bits(bits)
    q = act_quantizer(alpha, bits)
    a = torch.tensor([value], requires_grad=True)
    q(a).sum().backward()
    inside = abs(value) < alpha
    assert a.grad.item() == (1.0 if inside else 0.0)
    if inside:
        scaled = value * qmax / alpha
        expected = (round(scaled) - scaled) / qmax
    else:
        expected = 1.0 if value > 0 else -1.0
    assert q.alpha.grad.item() == pytest.approx(expected, abs=1e-6)


def test_calibration_averages_batch_means_of_per_sample_max():
    q = PAMSActQuantizer(bits=8)
    q.calibrating = True
    b1 = torch.zeros(2, 3, 4, 4)
    b1[0, 1, 2, 2], b1[1, 0, 0, 0] = -1.0, 3.0  # per-sample max |a|: 1, 3 -> mean 2
    b2 = torch.zeros(2, 3, 4, 4)
    b2[0, 2, 1, 1], b2[1, 1, 3, 3] = 4.0, -6.0  # -> mean 5
    assert torch.equal(q(b1), b1)  # pass-through while calibrating
    q(b2)
    # the official code would end at 5 (last batch)
    assert float(q.alpha.detach()) == pytest.approx(3.5)
    assert bool(q.initialized)
    q.calibrating = False
    assert q(torch.tensor([10.0])).item() == pytest.approx(3.5)  # clipping on


def test_quant_conv_equals_conv_with_quantized_weight_and_shares_params():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    qconv = QuantConv2d.from_float(conv, bits=4)
    assert qconv.weight is conv.weight and qconv.bias is conv.bias
    assert set(qconv.state_dict()) == {'weight', 'bias'}
    x = torch.randn(2, 3, 6, 6)
    m = conv.weight.detach().abs().max()
    w_q = torch.round(conv.weight.detach() / m * 7) / 7 * m
    assert torch.allclose(qconv(x), F.conv2d(x, w_q, conv.bias, padding=1), atol=1e-5)
    with_input = QuantConv2d.from_float(conv, bits=4, input_quant=act_quantizer(1.0, 4))
    assert 'input_quant.alpha' in with_input.state_dict()
    x_q = act_quantizer(1.0, 4)(x)
    assert torch.allclose(with_input(x), F.conv2d(x_q, w_q, conv.bias, padding=1), atol=1e-5)
