"""Density maps from head points, with the count preserved exactly.

A density map is ``D(x) = sum_i delta(x - x_i) * G_{sigma_i}(x)`` (Lempitsky and
Zisserman, NIPS 2010; MCNN, Zhang et al., CVPR 2016, Sec. 2.2), so that its
integral is the number of heads. Two kernel widths:

* geometry-adaptive: ``sigma_i = beta * mean distance to the k nearest heads``
  (MCNN, Sec. 2.2, Eq. 1: ``beta = 0.3``, ``k = 3``), for dense crowds;
* fixed ``sigma`` (CSRNet, Li et al., CVPR 2018, Sec. 4.1, uses 15 on
  ShanghaiTech Part B).

Each head's kernel is truncated at ``truncate * sigma`` and then renormalized to
unit mass over the pixels that fall inside the image, so heads at the border
keep their full count (MCNN's reference code loses the part outside). Maps are
downsampled by sum pooling (:func:`sum_pool_density`), which keeps the count
exactly, instead of resizing.
"""
from typing import Optional

import numpy as np

DENSITY_MODES = ('adaptive', 'fixed')


def check_points(points, where: str = 'points') -> np.ndarray:
    """``points`` as a float64 ``(N, 2)`` array of (x, y); a ``ValueError`` names ``where``."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.size == 0:
        return np.zeros((0, 2), np.float64)
    if pts.ndim != 2 or pts.shape[1] < 2:
        raise ValueError(f'{where}: expected an (N, 2) array of (x, y) head points, '
                         f'got shape {pts.shape}')
    pts = pts[:, :2]
    if not np.isfinite(pts).all():
        raise ValueError(f'{where}: head points contain NaN or inf')
    return pts


def adaptive_sigmas(points, beta: float = 0.3, k: int = 3,
                    fallback_sigma: float = 15.0) -> np.ndarray:
    """Per-head ``sigma_i = beta * mean distance to the k nearest other heads`` (MCNN, Eq. 1).

    With fewer than ``k`` other heads the available ones are averaged; a lone
    head gets ``fallback_sigma`` (our choice: MCNN's code uses a quarter of the
    mean image side there).
    """
    pts = check_points(points)
    n = len(pts)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.full(1, float(fallback_sigma))
    from scipy.spatial import cKDTree
    kk = min(k, n - 1)
    dist, _ = cKDTree(pts).query(pts, k=kk + 1)
    return beta * dist[:, 1:].mean(axis=1)


def _kernel_1d(center: float, sigma: float, radius: int, size: int):
    """Unnormalized Gaussian weights of the pixels ``[lo, hi)`` within ``radius`` of the
    centre pixel, clipped to ``[0, size)``."""
    c = int(np.floor(center))
    lo, hi = max(c - radius, 0), min(c + radius + 1, size)
    d = np.arange(lo, hi) - c
    return lo, hi, np.exp(-0.5 * (d / sigma)**2)


def points_to_density(points, shape, sigmas=None, mode: str = 'adaptive',
                      sigma: float = 15.0, beta: float = 0.3, k: int = 3,
                      truncate: float = 3.0, fallback_sigma: float = 15.0) -> np.ndarray:
    """The density map of ``shape = (H, W)``; it sums to the number of heads.

    Args:
        points: ``(N, 2)`` head positions (x, y) in pixels; a head at ``x``
            lies in pixel column ``floor(x)``. Points outside the image are
            clipped to its border (annotations of ShanghaiTech and UCF-QNRF
            have a few), so every head is counted.
        sigmas: per-head sigmas (e.g. computed on the whole image before a
            crop); overrides ``mode``.
        mode: 'adaptive' (:func:`adaptive_sigmas`) or 'fixed' (``sigma``).
        truncate: kernel radius in sigmas (``ceil(truncate * sigma)``, at least
            0: a zero sigma is a single pixel).
    """
    if mode not in DENSITY_MODES:
        raise ValueError(f'mode must be one of {DENSITY_MODES}, got {mode!r}')
    h, w = int(shape[0]), int(shape[1])
    pts = check_points(points)
    density = np.zeros((h, w), np.float64)
    if len(pts) == 0:
        return density.astype(np.float32)
    if h < 1 or w < 1:
        raise ValueError(f'cannot place {len(pts)} heads on an empty {h}x{w} map')
    if sigmas is None:
        sigmas = (adaptive_sigmas(pts, beta, k, fallback_sigma) if mode == 'adaptive'
                  else np.full(len(pts), float(sigma)))
    sigmas = np.asarray(sigmas, np.float64).reshape(-1)
    if len(sigmas) != len(pts):
        raise ValueError(f'{len(sigmas)} sigmas for {len(pts)} heads')
    xs = np.clip(pts[:, 0], 0, w - 1e-6)
    ys = np.clip(pts[:, 1], 0, h - 1e-6)
    for x, y, s in zip(xs, ys, sigmas):
        if not s > 1e-6:  # a point mass
            density[int(y), int(x)] += 1.0
            continue
        radius = max(int(np.ceil(truncate * s)), 0)
        x0, x1, kx = _kernel_1d(x, s, radius, w)
        y0, y1, ky = _kernel_1d(y, s, radius, h)
        # the Gaussian is separable: the in-image part normalized to unit mass
        density[y0:y1, x0:x1] += np.outer(ky / ky.sum(), kx / kx.sum())
    return density.astype(np.float32)


def sum_pool_density(density: np.ndarray, stride: int) -> np.ndarray:
    """Sum ``stride x stride`` blocks (zero padded at the bottom/right to a multiple of the
    stride): the output is ``ceil(H / s) x ceil(W / s)`` and has the same sum."""
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f'stride must be an int >= 1, got {stride!r}')
    density = np.asarray(density)
    if stride == 1:
        return density.astype(np.float32)
    h, w = density.shape[-2:]
    hp, wp = -(-h // stride), -(-w // stride)
    pad = np.zeros(density.shape[:-2] + (hp * stride, wp * stride), np.float64)
    pad[..., :h, :w] = density
    pooled = pad.reshape(density.shape[:-2] + (hp, stride, wp, stride)).sum(axis=(-3, -1))
    return pooled.astype(np.float32)


def density_count(density: np.ndarray, scale: Optional[float] = None) -> float:
    """The count of a density map (float64 sum), divided by ``scale`` if given."""
    total = float(np.asarray(density, np.float64).sum())
    return total / scale if scale else total
