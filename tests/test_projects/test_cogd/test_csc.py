"""CSC: the Fourier-domain ADMM sub-solvers against dense solves built pixel by pixel."""
import math

import pytest
import torch

from mmlean.projects.cogd.csc import (ConvSparseCoding, CSCConfig, local_contrast_normalize, psnr,
                                      random_mask, skimage_crops)

N, H, W, K, S = 2, 6, 5, 2, 3
P0, P1 = H + S - 1, W + S - 1


def _problem(mask=None):
    g = torch.Generator().manual_seed(0)
    imgs = torch.randn(N, H, W, generator=g, dtype=torch.float64)
    cfg = CSCConfig(num_filters=K, filter_size=S, lam=0.05, outer_iters=1)
    solver = ConvSparseCoding(imgs, mask, cfg)
    return solver, g


def _rows(mask):
    """Observed pixels (i, y, x) of the padded domain."""
    return [(i, y, x) for i in range(N) for y in range(P0) for x in range(P1) if mask[i, y, x]]


def _conv_at(a, b, y, x, qs):
    """sum over q in qs of a[q] * b[(p - q) mod P] at p = (y, x)."""
    return sum(a[qy, qx] * b[(y - qy) % P0, (x - qx) % P1] for qy, qx in qs)


@pytest.mark.parametrize('masked', [False, True])
def test_filter_step_matches_least_squares(masked):
    mask = random_mask((N, H, W), keep=0.75, seed=1) if masked else None
    solver, g = _problem(mask)
    z = torch.zeros(N, K, P0, P1, dtype=torch.float64)
    z[:, :, :H, :W] = torch.randn(N, K, H, W, generator=g, dtype=torch.float64) * (
        torch.rand(N, K, H, W, generator=g) < 0.5)
    solver.z = z
    # observations small enough that the unit-norm constraint is inactive
    solver.b = solver.b * 0.05
    solver.rho_d = (1.0, 1.0)
    solver.update_filters(3000)
    support = [(qy, qx) for qy in range(S) for qx in range(S)]
    rows = _rows(solver.M)
    Amat = torch.zeros(len(rows), K * len(support), dtype=torch.float64)
    for r, (i, y, x) in enumerate(rows):
        for k in range(K):
            for j, (qy, qx) in enumerate(support):
                Amat[r, k * len(support) + j] = z[i, k, (y - qy) % P0, (x - qx) % P1]
    bvec = torch.tensor([float(solver.b[i, y, x]) for i, y, x in rows], dtype=torch.float64)
    sol = torch.linalg.lstsq(Amat, bvec[:, None]).solution.view(K, S, S)
    assert float(sol.flatten(1).norm(dim=1).max()) < 1.0  # the constraint is inactive
    torch.testing.assert_close(solver.filters(), sol, rtol=0, atol=1e-7)
    # nothing outside the support
    assert float(solver.d.abs().sum()) == pytest.approx(float(solver.filters().abs().sum()))


def test_code_step_matches_dense_lasso():
    solver, g = _problem(random_mask((N, H, W), keep=0.75, seed=2))
    solver.rho_z = (1.0, 1.0)
    solver.update_codes(4000)
    d = solver.d
    support = [(qy, qx) for qy in range(S) for qx in range(S)]
    lam = solver.cfg.lam
    for i in range(N):
        rows = [(y, x) for y in range(P0) for x in range(P1) if solver.M[i, y, x]]
        # column (k, c): code k at pixel c; entry d_k[(p - c) mod P] on the support
        Dm = torch.zeros(len(rows), K * P0 * P1, dtype=torch.float64)
        for r, (y, x) in enumerate(rows):
            for k in range(K):
                for qy, qx in support:
                    c = ((y - qy) % P0) * P1 + (x - qx) % P1
                    Dm[r, k * P0 * P1 + c] += d[k, qy, qx]
        b = torch.tensor([float(solver.b[i, y, x]) for y, x in rows], dtype=torch.float64)
        # FISTA on the dense problem, a different method
        L = float(torch.linalg.matrix_norm(Dm, 2))**2
        x = torch.zeros(Dm.shape[1], dtype=torch.float64)
        yv, tk = x.clone(), 1.0
        for _ in range(20000):
            v = yv - Dm.T @ (Dm @ yv - b) / L
            xn = torch.sign(v) * (v.abs() - lam / L).clamp_min(0)
            tn = (1 + math.sqrt(1 + 4 * tk * tk)) / 2
            yv = xn + (tk - 1) / tn * (xn - x)
            x, tk = xn, tn

        def obj(c):
            return 0.5 * float(((Dm @ c - b)**2).sum()) + lam * float(c.abs().sum())

        admm = solver.z[i].flatten()
        assert obj(admm) == pytest.approx(obj(x), rel=1e-6)
        torch.testing.assert_close(admm, x, rtol=0, atol=1e-4)


def test_lcn_zero_mean_and_scale():
    g = torch.Generator().manual_seed(0)
    img = torch.rand(40, 40, generator=g, dtype=torch.float64) * 5 + 3
    out = local_contrast_normalize(img)
    assert abs(float(out.mean())) < 1e-12
    # invariant to brightness and contrast
    torch.testing.assert_close(local_contrast_normalize(img * 3 + 7), out)
    crops = skimage_crops(num=2, size=32)
    assert crops.shape == (2, 32, 32) and torch.isfinite(crops).all()
    assert torch.equal(crops, skimage_crops(num=2, size=32))  # seeded


def test_mask_seeded_keeps_75_percent():
    m = random_mask((4, 50, 50), keep=0.75, seed=3)
    assert torch.equal(m, random_mask((4, 50, 50), keep=0.75, seed=3))
    assert abs(float(m.mean()) - 0.75) < 0.02


def test_official_sets_need_the_folder(tmp_path):
    from mmlean.projects.cogd.csc import load_image_folder
    with pytest.raises(FileNotFoundError, match='fruit_100_100'):
        load_image_folder(str(tmp_path / 'missing'))


@pytest.mark.parametrize('rule', ['backtrack', 'rescale', 'paper'])
def test_cogd_outer_loop_runs(rule):
    imgs = skimage_crops(num=2, size=24)
    cfg = CSCConfig(num_filters=4, filter_size=5, outer_iters=4, inner_iters=3, rule=rule,
                    select='zero' if rule == 'paper' else 'top',
                    positions='filter' if rule == 'paper' else 'pixel')
    s = ConvSparseCoding(imgs, cfg=cfg).run()
    assert len(s.history) == 4 and s.history[-1]['corrected'] == 0  # decayed to 0 at t = T
    assert psnr(s.reconstruction(), imgs) > 0
    assert sum(h['corrected'] for h in s.history) > 0
