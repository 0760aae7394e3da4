"""Density maps integrate to the count: adaptive and fixed kernels, at the borders, after
sum-pool downsampling; kernels against a direct evaluation of the Gaussian."""
import numpy as np
import pytest

from mmlean.projects.nascount.datasets import adaptive_sigmas, points_to_density, sum_pool_density


def _random_points(rng, n, h, w):
    return np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1)


@pytest.mark.parametrize('mode', ['adaptive', 'fixed'])
def test_density_sums_to_count(mode):
    rng = np.random.default_rng(0)
    h, w = 61, 83
    pts = _random_points(rng, 57, h, w)
    d = points_to_density(pts, (h, w), mode=mode, sigma=6.0)
    assert d.shape == (h, w) and d.dtype == np.float32
    assert d.min() >= 0
    assert abs(float(d.astype(np.float64).sum()) - 57) < 1e-4


@pytest.mark.parametrize('mode', ['adaptive', 'fixed'])
def test_border_heads_keep_unit_mass(mode):
    h, w = 40, 50
    # corners, edges, and points a little outside (clipped, still counted)
    pts = np.array([[0, 0], [49.9, 39.9], [0, 20], [25, 0], [49.5, 10], [-3, 5], [60, 45],
                    [10, 39.99]])
    d = points_to_density(pts, (h, w), mode=mode, sigma=10.0)
    assert abs(float(d.sum()) - len(pts)) < 1e-4
    for p in pts:  # each head alone: unit mass even when most of its kernel is outside
        single = points_to_density(p[None], (h, w), mode='fixed', sigma=10.0)
        assert abs(float(single.sum()) - 1) < 1e-5


def test_fixed_kernel_matches_direct_gaussian():
    h, w, s = 64, 64, 4.0
    x, y = 30.5, 20.25
    d = points_to_density([[x, y]], (h, w), mode='fixed', sigma=s, truncate=3.0)
    # direct 2-D Gaussian centred on the head's pixel, truncated to the square
    # of radius ceil(3 sigma), normalized to unit mass
    cy, cx = int(y), int(x)
    r = int(np.ceil(3 * s))
    yy, xx = np.mgrid[0:h, 0:w]
    g = np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * s * s))
    g[(np.abs(yy - cy) > r) | (np.abs(xx - cx) > r)] = 0
    g /= g.sum()
    np.testing.assert_allclose(d, g, atol=1e-7)


def test_adaptive_sigmas_by_hand():
    pts = np.array([[0, 0], [3, 0], [0, 4], [10, 0]], float)
    sig = adaptive_sigmas(pts, beta=0.3, k=3)
    # head 0: neighbours at 3, 4, 10 -> mean 17/3
    assert sig[0] == pytest.approx(0.3 * 17 / 3)
    # head 3: neighbours at 7 (3,0), 10 (0,0), sqrt(116) (0,4)
    assert sig[3] == pytest.approx(0.3 * (7 + 10 + np.sqrt(116)) / 3)
    # two heads: one neighbour each; one head: the fallback
    assert adaptive_sigmas([[0, 0], [6, 8]], k=3) == pytest.approx([3.0, 3.0])
    assert adaptive_sigmas([[5, 5]], fallback_sigma=7.0) == pytest.approx([7.0])
    assert adaptive_sigmas(np.zeros((0, 2))).shape == (0, )


@pytest.mark.parametrize('stride', [1, 2, 4, 8])
def test_sum_pool_keeps_count_exactly(stride):
    rng = np.random.default_rng(1)
    h, w = 67, 45  # not multiples of the stride
    d = points_to_density(_random_points(rng, 31, h, w), (h, w), mode='adaptive')
    p = sum_pool_density(d, stride)
    assert p.shape == (-(-h // stride), -(-w // stride))
    assert abs(float(p.astype(np.float64).sum()) - float(d.astype(np.float64).sum())) < 1e-4
    # each output cell is the sum of its block (independent loop)
    i, j = p.shape[0] - 1, p.shape[1] - 1
    assert p[i, j] == pytest.approx(d[i * stride:, j * stride:].sum(), abs=1e-6)
    assert p[0, 0] == pytest.approx(d[:stride, :stride].sum(), abs=1e-6)


def test_empty_and_bad_points():
    assert points_to_density(np.zeros((0, 2)), (8, 8)).sum() == 0
    with pytest.raises(ValueError, match='gt_points|points'):
        points_to_density(np.zeros((3, 1)), (8, 8))
    with pytest.raises(ValueError, match='mode'):
        points_to_density([[1, 1]], (8, 8), mode='gauss')
