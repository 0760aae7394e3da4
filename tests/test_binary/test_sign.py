"""Sign functions and their backward approximations against the paper's formulas."""
import math

import numpy as np
import pytest
import torch

from mmlean.binary import SignSTE, TrainingAwareSign, XNORSign, binary_sign, rbnn_k_t


def rbnn_F(x, k, t):
    """RBNN's training-aware approximation of sign (paper Eq. for F(x))."""
    x = np.asarray(x, dtype=np.float64)
    inside = np.abs(x) < math.sqrt(2) / t
    poly = k * (-np.sign(x) * t * t * x * x / 2 + math.sqrt(2) * t * x)
    return np.where(inside, poly, k * np.sign(x))


def test_binary_sign_maps_zero_to_plus_one():
    x = torch.tensor([-2.0, -1e-20, -0.0, 0.0, 3.0])
    assert binary_sign(x).tolist() == [-1, -1, 1, 1, 1]


@pytest.mark.parametrize('t', [0.01, 0.1, 0.5, 1.0, 3.0, 10.0])
@pytest.mark.parametrize('k', [1.0, 2.5])
def test_training_aware_backward_is_derivative_of_F(k, t):
    """The backward equals k max(0, sqrt(2) t - t^2 |x|), and that is dF/dx
    (checked by central finite differences of F itself)."""
    x = torch.linspace(-2 / t, 2 / t, 801, dtype=torch.float64)
    x = x[(x.abs() - math.sqrt(2) / t).abs() > 1e-3 / t]  # away from the kink
    x = x[x.abs() > 1e-6]
    xr = x.clone().requires_grad_(True)
    out = TrainingAwareSign.apply(xr, k, t)
    out.backward(torch.ones_like(out))
    formula = k * torch.clamp(math.sqrt(2) * t - t * t * x.abs(), min=0)
    assert torch.allclose(xr.grad, formula, atol=1e-12)
    h = 1e-6 / t
    numeric = (rbnn_F(x.numpy() + h, k, t) - rbnn_F(x.numpy() - h, k, t)) / (2 * h)
    np.testing.assert_allclose(xr.grad.numpy(), numeric, atol=1e-4 * k * t)
    assert torch.equal(out.detach(), binary_sign(x))  # forward is the exact sign


def test_F_is_continuous_and_reaches_k():
    for k, t in [(100, 0.01), (1, 10), (2, 1)]:
        edge = math.sqrt(2) / t
        assert rbnn_F([edge * (1 - 1e-9)], k, t)[0] == pytest.approx(k, rel=1e-6)


def test_ste_backward_clips():
    x = torch.tensor([-1.5, -1.0, -0.2, 0.0, 0.7, 1.0, 1.01], requires_grad=True)
    SignSTE.apply(x).sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_k_t_schedule_matches_official_cpt_tk():
    assert rbnn_k_t(0, 100) == pytest.approx((100.0, 0.01))
    k, t = rbnn_k_t(100, 100)
    assert (k, t) == pytest.approx((1.0, 10.0))
    k, t = rbnn_k_t(50, 100)  # log-linear midpoint: 10^(-2 + 3 / 2)
    assert t == pytest.approx(10 ** -0.5) and k == pytest.approx(10 ** 0.5)
    k, t = rbnn_k_t(75, 100)
    assert t > 1 and k == 1.0
    with pytest.raises(ValueError):
        rbnn_k_t(0, 0)


def test_xnor_sign_forward_is_one_scalar_alpha_times_sign():
    w = torch.tensor([[-2.0, -0.5], [0.0, 0.3]], dtype=torch.float64)
    alpha = (2.0 + 0.5 + 0.0 + 0.3) / 4  # mean |W| over the whole tensor
    out = XNORSign.apply(w)
    assert out.tolist() == [[-alpha, -alpha], [alpha, alpha]]  # sign(0) = +1


def test_xnor_sign_backward_is_the_official_formula():
    """Sigh_XNOR.backward of the official BNAS code (module/Conv_XNOR.py),
    restated element by element: g / n + alpha * g where -1 <= w <= 1, else g / n."""
    values = [-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 1.5, 4.0]
    grads = [0.5, -1.0, 2.0, 3.0, -0.25, 1.5, -2.0, 0.75]
    n = len(values)
    alpha = sum(abs(v) for v in values) / n
    expected = []
    for v, g in zip(values, grads):
        clipped = 0.0 if (v > 1 or v < -1) else g
        expected.append(g / n + alpha * clipped)
    w = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    XNORSign.apply(w).backward(torch.tensor(grads, dtype=torch.float64))
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
