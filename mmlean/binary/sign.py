"""Sign functions of binary networks and their backward approximations.

Forward convention used everywhere in mmlean (training, deploy and the
compiled ops): ``sign(x) = -1 if x < 0 else +1``; zero maps to +1 so every
binarized value is exactly +-1 and training, float simulation and the
bit-packed engine agree bit for bit. (``torch.sign`` maps 0 to 0; the official
RBNN code uses it. Exact zeros have measure zero for float weights and
standardized activations; the choice is deliberate.)
"""
import math

import torch


def binary_sign(x: torch.Tensor) -> torch.Tensor:
    """+1 where ``x >= 0`` (and NaN), -1 where ``x < 0``; no gradient."""
    return torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x))


class SignSTE(torch.autograd.Function):
    """sign forward, clipped straight-through estimator backward.

    ``d sign(x)/dx ~= 1_{|x| <= 1}`` (BinaryConnect/XNOR-Net/Bi-Real baseline).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return binary_sign(x)

    @staticmethod
    def backward(ctx, grad):
        (x, ) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


class XNORSign(torch.autograd.Function):
    """BNAS's XNOR weight binarizer: ``W_b = alpha * sign(W)``, one scalar alpha.

    Forward, as ``Sigh_XNOR`` in the official BNAS code
    (github.com/bczhangbczhang/BNAS, ``module/Conv_XNOR.py``):
    ``alpha = mean(|W|)`` over the whole tensor (a single scalar, not XNOR-Net's
    per-filter alpha) and ``W_b = alpha * sign(W)`` (sign with mmlean's
    0 -> +1 convention; the official code uses ``torch.sign``).

    Backward, as the official code's (not the exact derivative of the
    forward): with ``g = dL/dW_b``,

        ``dL/dW = g / numel(W) + alpha * g * 1_{|W| <= 1}``

    i.e. a ``1/n`` share of ``g`` standing in for the path through alpha, plus
    the clipped straight-through estimator of sign scaled by alpha (the
    official code zeroes the second term where ``W > 1`` or ``W < -1``).
    """

    @staticmethod
    def forward(ctx, w):
        alpha = w.abs().mean()
        ctx.save_for_backward(w, alpha)
        return alpha * binary_sign(w)

    @staticmethod
    def backward(ctx, grad):
        w, alpha = ctx.saved_tensors
        inside = (w.abs() <= 1).to(grad.dtype)
        return grad / grad.numel() + alpha * grad * inside


class TrainingAwareSign(torch.autograd.Function):
    """sign forward; backward of RBNN's training-aware approximation.

    RBNN (NeurIPS 2020) approximates sign by
    ``F(x) = k * (-sign(x) t^2 x^2 / 2 + sqrt(2) t x)`` for ``|x| < sqrt(2)/t``
    and ``k * sign(x)`` otherwise, so the backward is
    ``F'(x) = k * max(0, sqrt(2) t - t^2 |x|)``; ``t`` grows and ``k`` shrinks
    over training (:func:`rbnn_k_t`), moving from a wide STE to the true sign.
    """

    @staticmethod
    def forward(ctx, x, k: float, t: float):
        ctx.save_for_backward(x)
        ctx.k, ctx.t = float(k), float(t)
        return binary_sign(x)

    @staticmethod
    def backward(ctx, grad):
        (x, ) = ctx.saved_tensors
        k, t = ctx.k, ctx.t
        slope = (math.sqrt(2.0) * t - t * t * x.abs()).clamp_min(0.0)
        return grad * k * slope, None, None


def rbnn_k_t(epoch: int, max_epochs: int, t_min: float = 1e-2,
             t_max: float = 1e1) -> tuple:
    """RBNN's schedule of (k, t) for an epoch (official ``cpt_tk``).

    ``t_e = 10 ** (log10(t_min) + (log10(t_max) - log10(t_min)) * e / E)``
    and ``k_e = max(1 / t_e, 1)``.
    """
    if max_epochs <= 0:
        raise ValueError(f'max_epochs must be positive, got {max_epochs}')
    lo, hi = math.log10(t_min), math.log10(t_max)
    t = 10 ** (lo + (hi - lo) * epoch / max_epochs)
    return max(1.0 / t, 1.0), t
