"""Bi-rotation of RBNN (Lin et al., NeurIPS 2020, §3.2).

A rotation of each n-dimensional filter is factorized as ``R2 (x) R1``
(Kronecker): the filter, reshaped to an ``n1 x n2`` matrix ``X_i``, is rotated
to ``R1^T X_i R2``. One pair (R1, R2) is shared by the ``Cout`` filters of a
layer and found by alternating minimization of

    sum_i || B_i - R1^T X_i R2 ||_F^2,   B_i in {-1, +1}^(n1 x n2),

where every step is exact for the other variables fixed: ``B = sign(R1^T X R2)``
and two orthogonal Procrustes problems solved by SVD.
"""
import math
from typing import Tuple

import torch

from .sign import binary_sign


def get_ab(n: int) -> Tuple[int, int]:
    """Split ``n`` as ``n1 * n2`` with ``n1`` the largest divisor <= sqrt(n).

    E.g. 576 -> (24, 24), 1152 -> (32, 36), 64 -> (8, 8), 27 -> (3, 9).
    """
    if n < 1:
        raise ValueError(f'get_ab needs a positive size, got {n}')
    for n1 in range(math.isqrt(n), 0, -1):
        if n % n1 == 0:
            return n1, n // n1
    return 1, n  # unreachable: 1 divides n


def random_orthogonal(n: int, generator: torch.Generator = None,
                      dtype=torch.float32) -> torch.Tensor:
    """A Haar-random orthogonal matrix (QR of a Gaussian, signs fixed)."""
    a = torch.randn(n, n, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    return q.to(dtype)


def rotate(x: torch.Tensor, r1: torch.Tensor, r2: torch.Tensor) -> torch.Tensor:
    """``R1^T X_i R2`` for every filter matrix ``X_i`` of ``x`` (C, n1, n2)."""
    return r1.t().matmul(x).matmul(r2)


def rotation_objective(x, r1, r2, b=None) -> torch.Tensor:
    """``sum_i ||B_i - R1^T X_i R2||_F^2`` (``B = sign(R1^T X R2)`` if not given)."""
    v = rotate(x, r1, r2)
    if b is None:
        b = binary_sign(v)
    return (b - v).pow(2).sum()


@torch.no_grad()
def bi_rotation_step(x: torch.Tensor, r1: torch.Tensor, r2: torch.Tensor):
    """One alternating step: B, then R1, then R2 (each optimal given the rest).

    Args:
        x (Tensor): filters as matrices, (C, n1, n2).
        r1 (Tensor): (n1, n1) orthogonal.
        r2 (Tensor): (n2, n2) orthogonal.

    Returns:
        tuple: (B, R1, R2) after the step.
    """
    b = binary_sign(rotate(x, r1, r2))
    # R1 maximizes tr(R1^T M), M = sum_i X_i R2 B_i^T  ->  R1 = U V^T of M
    m1 = torch.einsum('cij,ckj->ik', x.matmul(r2), b)
    u, _, vh = torch.linalg.svd(m1)
    r1 = u.matmul(vh)
    # R2 maximizes tr(R2^T N), N = sum_i X_i^T R1 B_i  ->  R2 = U V^T of N
    m2 = torch.einsum('cki,ckj->ij', r1.t().matmul(x), b)
    u, _, vh = torch.linalg.svd(m2)
    r2 = u.matmul(vh)
    return b, r1, r2


@torch.no_grad()
def bi_rotation(x: torch.Tensor, r1: torch.Tensor, r2: torch.Tensor,
                iterations: int = 3):
    """Run ``iterations`` alternating steps (RBNN uses 3, warm-started).

    Computed in float64 for stable, reproducible SVDs; returns (R1, R2) in
    the dtype of the inputs.
    """
    dtype = r1.dtype
    x64, r1, r2 = x.double(), r1.double(), r2.double()
    for _ in range(iterations):
        _, r1, r2 = bi_rotation_step(x64, r1, r2)
    return r1.to(dtype), r2.to(dtype)
