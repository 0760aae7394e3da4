"""Symmetric per-tensor quantizers of PAMS (Li et al., ECCV 2020, Sec. 3.2).

Both quantizers map onto the signed grid ``{-qmax, ..., qmax} * scale`` with
``qmax = 2**(k-1) - 1`` (k = 4: 7 levels each side; k = 8: 127), so an integer
engine can run them with zero point 0 (weights) or a symmetric offset
(activations).
"""
import torch
import torch.nn as nn
from mmengine.registry import MODELS

SUPPORTED_BITS = (2, 4, 8)


def check_bits(bits, where='bits'):
    """Return ``bits`` if supported, else raise naming the supported widths."""
    if bits not in SUPPORTED_BITS:
        raise ValueError(f'{where}={bits!r} is not supported; supported bit widths are '
                         f'{", ".join(map(str, SUPPORTED_BITS))}')
    return int(bits)


def qmax_for_bits(bits):
    """Largest integer level of the signed symmetric k-bit grid: ``2**(k-1) - 1``."""
    return 2 ** (check_bits(bits) - 1) - 1


class _RoundSTE(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def round_ste(x):
    """``round`` in the forward pass, identity gradient (straight-through estimator)."""
    return _RoundSTE.apply(x)


def quantize_weight_maxabs(weight, bits):
    """PAMS weight quantizer: ``round_STE(W * qmax / m) * m / qmax``, ``m = max|W|``.

    ``m`` is detached (no gradient through the scale), so dW_q/dW = 1
    everywhere. The 1e-8 keeps an all-zero tensor finite.
    """
    qmax = qmax_for_bits(bits)
    m = weight.detach().abs().max() + 1e-8
    # the official operation order, ((W * qmax) / m) and ((q * m) / qmax), so that
    # released models give bit-identical codes (a one-ulp difference can flip a tie)
    return round_ste(weight * qmax / m) * m / qmax


@MODELS.register_module()
class MaxAbsWeightQuantizer(nn.Module):
    """Per-tensor symmetric k-bit weight fake-quantizer with the max-abs scale (PAMS Eq. 4).

    The weight scale is not learned; only activations get the learnable
    truncation (:class:`PAMSActQuantizer`).
    """

    def __init__(self, bits=8):
        super().__init__()
        self.bits = check_bits(bits)

    def forward(self, weight):
        return quantize_weight_maxabs(weight, self.bits)

    def extra_repr(self):
        return f'bits={self.bits}'


@MODELS.register_module()
class PAMSActQuantizer(nn.Module):
    """PAMS activation quantizer with the learnable max scale alpha (PAMS Eq. 5-7).

    ``a_q = round_STE(clamp(a, -alpha, alpha) * qmax / alpha) * alpha / qmax``.
    Autograd on this expression gives, as the official code does,
    ``d a_q / d a = 1`` inside ``[-alpha, alpha]`` and 0 outside, and
    ``d a_q / d alpha = sign(a)`` outside and the rounding residual
    ``(round(a * qmax / alpha) - a * qmax / alpha) / qmax`` inside. (The
    paper's text shows the PACT-style 0 inside; the published numbers come
    from the code's form, which we keep.)

    Data-driven initialisation: while ``calibrating`` is True the quantizer
    passes activations through unchanged and records the batch mean of the
    per-sample max |a|; alpha is set to the running average over all
    calibration batches. Deviation, on purpose: the official code overwrites
    alpha with the *current* batch's value on every iteration of epoch 1 (its
    EMA branch is dead code), so alpha ends as the statistic of the last batch
    only. ``initialized`` is a buffer, saved with checkpoints, so resumed
    runs do not recalibrate.

    Args:
        bits (int): 2, 4 or 8.
        init_alpha (float): placeholder before calibration (official: 10).
    """

    def __init__(self, bits=8, init_alpha=10.0):
        super().__init__()
        self.bits = check_bits(bits)
        self.alpha = nn.Parameter(torch.tensor(float(init_alpha)))
        self.register_buffer('initialized', torch.tensor(False))
        self.register_buffer('calib_sum', torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer('calib_batches', torch.tensor(0, dtype=torch.long))
        self.calibrating = False

    @property
    def qmax(self):
        return 2 ** (self.bits - 1) - 1

    @property
    def scale(self):
        """Step between levels, ``alpha / qmax`` (a Python float)."""
        return float(self.alpha.detach().abs()) / self.qmax

    def forward(self, x):
        if self.calibrating:
            self._observe(x)
            return x
        alpha = self.alpha
        x = torch.maximum(torch.minimum(x, alpha), -alpha)
        # official operation order (see quantize_weight_maxabs)
        return round_ste(x * self.qmax / alpha) * alpha / self.qmax

    @torch.no_grad()
    def _observe(self, x):
        per_sample_max = x.detach().abs().flatten(1).max(dim=1).values
        self.calib_sum += per_sample_max.mean().double()
        self.calib_batches += 1
        self.alpha.fill_(float(self.calib_sum / self.calib_batches))
        self.initialized.fill_(True)

    def extra_repr(self):
        return f'bits={self.bits}, alpha={float(self.alpha.detach()):.4g}'
