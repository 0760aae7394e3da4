"""Bi-rotation: Procrustes steps, orthogonality, objective, sign flips."""
import pytest
import torch

from mmlean.binary import (bi_rotation, bi_rotation_step, binary_sign, get_ab, random_orthogonal,
                           rotate, rotation_objective)


@pytest.mark.parametrize('n,expected', [(576, (24, 24)), (1152, (32, 36)), (64, (8, 8)),
                                        (27, (3, 9)), (144, (12, 12)), (4608, (64, 72)),
                                        (13, (1, 13)), (1, (1, 1))])
def test_get_ab(n, expected):
    assert get_ab(n) == expected


def orthogonality_error(r):
    eye = torch.eye(r.shape[0], dtype=r.dtype)
    return (r.t() @ r - eye).abs().max().item()


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('cout,n1,n2', [(16, 12, 12), (32, 24, 24), (8, 3, 9), (64, 8, 8)])
def test_every_step_never_increases_the_objective(seed, cout, n1, n2):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(cout, n1, n2, generator=g, dtype=torch.float64)
    r1 = random_orthogonal(n1, g, torch.float64)
    r2 = random_orthogonal(n2, g, torch.float64)
    prev = rotation_objective(x, r1, r2).item()
    for _ in range(6):
        b, r1_new, r2_new = bi_rotation_step(x, r1, r2)
        after_b = rotation_objective(x, r1, r2, b).item()          # B = sign(V)
        after_r1 = rotation_objective(x, r1_new, r2, b).item()     # R1 Procrustes
        after_r2 = rotation_objective(x, r1_new, r2_new, b).item()  # R2 Procrustes
        assert after_b <= prev + 1e-9
        assert after_r1 <= after_b + 1e-9
        assert after_r2 <= after_r1 + 1e-9
        r1, r2 = r1_new, r2_new
        prev = rotation_objective(x, r1, r2).item()  # the next B-step
        assert prev <= after_r2 + 1e-9
        assert orthogonality_error(r1) < 1e-10 and orthogonality_error(r2) < 1e-10


def test_procrustes_step_beats_random_rotations():
    """R1 from the SVD maximizes tr(R1^T M): no random orthogonal R1 does better."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 6, 6, generator=g, dtype=torch.float64)
    r1 = random_orthogonal(6, g, torch.float64)
    r2 = random_orthogonal(6, g, torch.float64)
    b, r1_opt, _ = bi_rotation_step(x, r1, r2)
    best = rotation_objective(x, r1_opt, r2, b).item()
    for _ in range(200):
        q = random_orthogonal(6, g, torch.float64)
        assert rotation_objective(x, q, r2, b).item() >= best - 1e-9


def test_bi_rotation_keeps_dtype_and_orthogonality():
    x = torch.randn(64, 24, 24)
    r1, r2 = random_orthogonal(24), random_orthogonal(24)
    n1, n2 = bi_rotation(x, r1, r2, iterations=3)
    assert n1.dtype == torch.float32 and n2.dtype == torch.float32
    assert orthogonality_error(n1) < 1e-5 and orthogonality_error(n2) < 1e-5


def test_rotation_flips_a_substantial_share_of_signs(capsys):
    """On a trained-like weight (smooth, correlated filters: a low-rank
    structure plus noise), the learned rotation changes about half of the
    signs, as the paper reports (~50%)."""
    g = torch.Generator().manual_seed(0)
    cout, n1, n2 = 64, 24, 24  # a 64->64 3x3 layer
    basis = torch.randn(4, n1 * n2, generator=g)
    mix = torch.randn(cout, 4, generator=g)
    w = (mix @ basis + 0.3 * torch.randn(cout, n1 * n2, generator=g))
    w = (w - w.mean(1, keepdim=True)) / w.std(1, keepdim=True)
    x = w.view(cout, n1, n2)
    r1, r2 = bi_rotation(x, random_orthogonal(n1, g), random_orthogonal(n2, g), 3)
    flipped = (binary_sign(rotate(x, r1, r2)) != binary_sign(x)).float().mean().item()
    with capsys.disabled():
        print(f'\n[RBNN] share of weight signs flipped by the rotation: {flipped:.1%}')
    assert 0.3 < flipped < 0.7
