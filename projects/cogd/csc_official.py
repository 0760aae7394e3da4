"""FFCSC's learning loop as the official CoGD code runs it, with its correction and metrics.

The official CoGD CSC experiments (Zhuo et al., CVPR 2020; MATLAB:
``admm_learn_conv2D_weighted.m`` + ``backtracking_d.m`` for reconstruction,
``admm_learn_conv2D_weighted_sparse.m`` + ``backtracking_btb.m`` for
inpainting, ``PSNR_bt.m`` / ``SSIM_bt.m`` for the numbers) differ from a
textbook constrained CSC (:class:`~.csc.ConvSparseCoding`) in ways that
decide what the correction can do:

* layout: the images sit in the middle of a domain padded by the filter
  radius r on each side; a filter's support wraps around the origin
  (rows and columns ``-r..r``);
* start: unnormalised ``randn`` filters and ``randn`` codes (not zeros);
* iterates: each ADMM sub-solve hands on its *linear solve's* output
  (``d = real(ifft2(d_hat))``, ``z = real(ifft2(z_hat))``), not the projected
  filters or the soft-thresholded codes, so the filters are non-zero off
  their support and the codes are dense;
* revert: when neither sub-solve of an outer iteration lowers the objective
  below the previous iteration's best, filters and codes go back to their
  values before it (the ADMM duals do not);
* the correction loop runs ``for i = 1:(uint8(alpha * len3))``: MATLAB
  saturates the count at **255**, and because a colon with an integer
  operand yields that integer class, ``i`` is a uint8 and so is
  ``len3 - i``, which saturates at 255 too: every pass reads ``indb(255)``,
  the position with the 255th *smallest* summed code, so one position is
  changed 255 times per outer iteration (``loop_counter='uint8'``, default).
  The reading the code suggests, 255 distinct positions from the second
  largest summed code down (``indb(len3 - i)`` in double arithmetic), is
  ``loop_counter='double'``. Each linear index is decoded with a page of
  ``H' W' + 1`` instead of ``H' W'`` (an off-by-one: the positions drift from
  the ranked ones). Both are followed by default (``max_positions=255``,
  ``index_page_offset=1``); ``None`` / 0 give the whole ``alpha`` fraction
  (distinct positions) and the intended decoding. A decoded column past the
  domain (the MATLAB code would fail there) is skipped.

Reconstruction (``rule='backtrack'``, ``alpha = (T - t) / (2T)``):
``d[p] = 0.01 d[p] + 0.99 d_old[p]``. Inpainting (``rule='rescale'``,
``alpha = (T - t) / (3T)``): with ``c = 0.05 * sum(M (Dz - b))`` over the
interior and all images (the codes before this iteration's code step),
``p = min(||z[p, :] - z_old[p, :]||_2 / |d[p] - d_old[p] + 1e-5|, 1)`` (the
norm over the images; ``z_old`` the codes before the previous code step; the
code puts the 1e-5 inside the absolute value) and
``d[p] += 0.1 c p d_old[p]``, one position after another.

Metrics (``PSNR_bt.m``, ``SSIM_bt.m``): the reconstruction's interior and
the image, each min-max normalised to [0, 1] on its own; PSNR with peak 1
and SSIM as one global window with ``c1 = 0.01^2``, ``c2 = 0.03^2`` and
sample (N - 1) variances and covariance; both averaged over the images. (Run
under GNU Octave 7, the same code's ``cov`` pairs two image columns instead:
:func:`official_ssim` ``covariance='octave7'``.)
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import torch

from .csc import image_files, solve_codes_freq, solve_filters_freq, woodbury_factor

RULES = (None, 'backtrack', 'rescale')
MATLAB_UINT8_MAX = 255


# -- the official preprocessing (CreateImages.m: 'gray', 'local_cn', ZERO_MEAN = 1) ---------
MATLAB_RGB2GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)
LCN_SIZE, LCN_SIGMA = 13, 3 * 1.591


def matlab_gaussian(size: int = LCN_SIZE, sigma: float = LCN_SIGMA) -> torch.Tensor:
    """``fspecial('gaussian', [size size], sigma)``: normalised to sum 1, values below
    ``eps * max`` zeroed."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    k = torch.exp(-(r[:, None]**2 + r[None, :]**2) / (2 * sigma**2))
    k[k < torch.finfo(torch.float64).eps * k.max()] = 0
    return k / k.sum()


def official_local_cn(image: torch.Tensor) -> torch.Tensor:
    """``CreateImages``' local contrast normalisation of one grayscale image (H, W).

    With ``rconv2`` (a 'valid' convolution of the image mirrored without repeating
    its border, by half the kernel) and the 13 x 13 Gaussian of sigma 3 * 1.591:
    local mean ``m = k * x``, local std ``s = sqrt(max(k * x^2 - m^2, 0))`` floored at
    its median (``q(round(n / 2))`` of the sorted values; the non-zero median if that
    is 0), ``(x - m) / s``; stored in single precision, then minus its mean (ZERO_MEAN).
    """
    x = image.double()
    k = matlab_gaussian()
    half = (LCN_SIZE - 1) // 2

    def rconv2(v):
        padded = torch.nn.functional.pad(v[None, None], (half, half, half, half),
                                         mode='reflect')
        return torch.nn.functional.conv2d(padded, k.flip(0, 1)[None, None])[0, 0]

    mean = rconv2(x)
    std = (rconv2(x**2) - mean**2).clamp_min(0).sqrt()
    q = torch.sort(std.flatten()).values
    th = q[_matlab_round(q.numel() / 2) - 1]
    if th == 0:
        q = q[q != 0]
        th = q[_matlab_round(q.numel() / 2) - 1] if q.numel() else torch.tensor(0.0)
    std = torch.where(std <= th, th, std)
    std = torch.where(std == 0, torch.finfo(torch.float64).eps, std)
    out = ((x - mean) / std).float()
    return (out - out.mean()).double()


def _matlab_round(v: float) -> int:
    return int(math.floor(v + 0.5))  # half away from zero (v >= 0 here)


def official_gray(image: np.ndarray) -> torch.Tensor:
    """``CreateImages``' 'gray': ``single(rgb2gray(double(I) / 255))`` for RGB, ``I / 255``
    for a grayscale image above 1."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3 and img.shape[2] >= 3:
        gray = img[..., :3] / 255.0 @ np.asarray(MATLAB_RGB2GRAY)
        return torch.from_numpy(gray.astype(np.float32)).double()
    img = img[..., 0] if img.ndim == 3 else img
    return torch.from_numpy(img / 255.0 if img.max() > 1 else img)


def load_official_images(path: str) -> torch.Tensor:
    """A folder of images as ``CreateImages(path, 'local_cn', 1, 'gray')`` returns them:
    files in name order (MATLAB's ``dir``), grayscale, local contrast normalised, zero
    mean. (N, H, W) float64 holding single-precision values."""
    from skimage.io import imread
    files = image_files(path)
    images = [official_local_cn(official_gray(imread(f))) for f in files]
    shapes = {tuple(i.shape) for i in images}
    if len(shapes) != 1:
        raise ValueError(f'images in {path!r} differ in size: {sorted(shapes)}')
    return torch.stack(images)


# -- the official metrics ----------------------------------------------------------
def _minmax(x: torch.Tensor) -> torch.Tensor:
    lo, hi = x.amin(dim=(-2, -1), keepdim=True), x.amax(dim=(-2, -1), keepdim=True)
    return (x - lo) / (hi - lo)


def official_psnr(images: torch.Tensor, reconstruction: torch.Tensor) -> List[float]:
    """Per-image PSNR of ``PSNR_bt.m``: both min-max normalised to [0, 1], peak 1.

    Args:
        images, reconstruction (Tensor): (N, H, W); the reconstruction already cut
            to the images' interior.
    """
    mse = ((_minmax(reconstruction.double()) - _minmax(images.double()))**2).mean(dim=(-2, -1))
    return (-10 * torch.log10(mse)).tolist()


def official_ssim(images: torch.Tensor, reconstruction: torch.Tensor, k1: float = 0.01,
                  k2: float = 0.03, value_range: float = 1.0,
                  covariance: str = 'matlab') -> List[float]:
    """Per-image SSIM of ``SSIM_bt.m``: one window over the whole (min-max
    normalised) image, ``std2`` and ``cov`` (N - 1 normalisation).

    ``covariance``: ``'matlab'``: ``cov(x, y)`` of two matrices is the 2 x 2
    covariance of ``x(:)`` and ``y(:)`` (MATLAB, and GNU Octave from 8), its
    (1, 2) entry the covariance of the two images. ``'octave7'``: GNU Octave 7 and
    older return the covariances between the columns of ``x`` and of ``y``, so
    ``var_xy(1, 2)`` is the covariance of *column 1* of the image with *column 2*
    of the reconstruction (what the code computes when run under Octave 7).
    """
    if covariance not in ('matlab', 'octave7'):
        raise ValueError(f"covariance must be 'matlab' or 'octave7', got {covariance!r}")
    xi, yi = _minmax(images.double()), _minmax(reconstruction.double())
    x, y = xi.flatten(1), yi.flatten(1)
    c1, c2 = (k1 * value_range)**2, (k2 * value_range)**2
    mx, my = x.mean(1), y.mean(1)
    n = x.shape[1]
    vx, vy = x.var(1, unbiased=True), y.var(1, unbiased=True)
    if covariance == 'matlab':
        cxy = ((x - mx[:, None]) * (y - my[:, None])).sum(1) / (n - 1)
    else:
        a, b = xi[:, :, 0], yi[:, :, 1]  # (N, rows): MATLAB columns 1 and 2
        cxy = ((a - a.mean(1, keepdim=True)) * (b - b.mean(1, keepdim=True))).sum(1) / (
            a.shape[1] - 1)
    ssim = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return ssim.tolist()


# -- the correction's positions -------------------------------------------------------
def ranked_positions(z_sum: torch.Tensor, count: int, order: str = 'official',
                     saturate_at: Optional[int] = None) -> torch.Tensor:
    """0-based MATLAB (column-major) linear indices of the ``count`` positions the
    correction visits, ranked by the summed code: ``order='official'`` reads
    ``indb(len3 - i)``, i = 1..count, of the ascending sort (from the second largest
    down), ``'top'`` from the largest.

    ``saturate_at=255`` is what MATLAB and Octave compute: ``i`` runs over
    ``1:uint8(...)``, a colon with an integer operand yields that integer class
    (MATLAB's colon documentation; GNU Octave 7.3's ``colon_op`` builds a
    ``make_int_range<octave_uint8>`` when one operand is uint8 and the others are
    double), and ``len3 - i`` of a double and a uint8 is a uint8 that saturates at
    255, so every pass reads ``indb(255)`` (the 255th *smallest* summed code)
    whenever ``len3 - i`` exceeds 255. The same position is then visited ``count``
    times.

    Args:
        z_sum (Tensor): (K, H', W'), the codes summed over the images.
    """
    if order not in ('official', 'top'):
        raise ValueError(f"order must be 'official' or 'top', got {order!r}")
    flat = z_sum.permute(0, 2, 1).reshape(-1)  # MATLAB order: row fastest, then column, filter
    ascending = torch.sort(flat, stable=True).indices
    n = flat.numel()
    first = 2 if order == 'official' else 1
    stop = min(n, count + first - 1)
    one_based = n + 1 - torch.arange(first, stop + 1)  # indb(len3 - i), i = first - 1 ..
    if saturate_at is not None and order == 'official':
        one_based = one_based.clamp_max(saturate_at)
    return ascending[one_based - 1]


def decode_index(index: int, height: int, width: int, page_offset: int = 1):
    """(filter, row, column), 0-based, of a 0-based linear index as ``backtracking_*.m``
    decodes it, with a page of ``height * width + page_offset`` (official: 1); None
    where the column falls outside the domain."""
    page = height * width + page_offset
    k = index // page
    col = (index % page) // height
    row = ((index + 1) % page - 1) % height
    return None if col >= width else (k, row, col)


# -- the solver ---------------------------------------------------------------------
@dataclass
class OfficialCSCConfig:
    """Options of :class:`OfficialLoopCSC`: the official code's values by default."""
    num_filters: int = 100
    filter_size: int = 11
    lam: float = 1.0                    # lambda (sparsity)
    lam_residual: float = 1.0           # lambda_residual (data)
    outer_iters: int = 20               # max_it
    inner_iters: int = 10               # max_it_d = max_it_z
    seed: int = 0
    revert: bool = True
    rule: Optional[str] = None          # None (FFCSC) | 'backtrack' | 'rescale'
    alpha_divisor: Optional[float] = None  # 2 (backtrack), 3 (rescale) when None
    max_positions: Optional[int] = MATLAB_UINT8_MAX  # None: round(alpha * len3)
    order: str = 'official'             # 'official' (second largest down) | 'top'
    index_page_offset: int = 1          # 1: the official decoding; 0: the intended one
    loop_counter: str = 'uint8'         # 'uint8': len3 - i saturates (official); 'double'
    mix: float = 0.99                   # backtrack: d = (1 - mix) d + mix d_old
    beta: float = 0.05                  # rescale: c = beta * sum(residual)
    rescale_step: float = 0.1           # rescale: d += step * c * p * d_old
    eps: float = 1e-5


class OfficialLoopCSC:
    """FFCSC filter and code learning (Heide et al., CVPR 2015) as the official
    CoGD MATLAB code runs it, with CoGD's correction of the filters between
    the filter and the code sub-solves (Zhuo et al., CVPR 2020, Sec. 4.3; see
    the module docstring for what is followed and why).

    Args:
        images (Tensor): (N, H, W) contrast-normalised images (the targets).
        mask (Tensor, optional): (N, H, W), 1 where a pixel is observed
            (inpainting); the solver sees ``images * mask``.
        cfg (OfficialCSCConfig): options.
    """

    def __init__(self, images: torch.Tensor, mask: Optional[torch.Tensor] = None,
                 cfg: Optional[OfficialCSCConfig] = None):
        self.cfg = cfg = cfg or OfficialCSCConfig()
        if cfg.rule not in RULES:
            raise ValueError(f'rule must be one of {RULES}, got {cfg.rule!r}')
        self.images = images.double()
        n, H, W = self.images.shape
        r = self.radius = cfg.filter_size // 2
        self.shape = (H + 2 * r, W + 2 * r)
        observed = torch.ones_like(self.images) if mask is None else mask.double()
        self.mask = observed
        self.b = self.images * observed  # what the solver sees (b_sparse)
        pad = (r, r, r, r)
        self.M = torch.nn.functional.pad(observed, pad)
        self.Mtb = torch.nn.functional.pad(self.b, pad) * self.M
        gamma = 60 * cfg.lam / float(self.b.max())
        self.gamma_d = (gamma / 5000, gamma)
        self.gamma_z = (gamma / 500, gamma)
        g = torch.Generator().manual_seed(cfg.seed)
        s, K = cfg.filter_size, cfg.num_filters
        d = torch.zeros(K, *self.shape, dtype=torch.float64)
        d[:, :s, :s] = torch.randn(K, s, s, generator=g, dtype=torch.float64)
        self.d = torch.roll(d, shifts=(-r, -r), dims=(1, 2))
        self.z = torch.randn(n, K, *self.shape, generator=g, dtype=torch.float64)
        self.z_old = self.z.clone()
        support = torch.zeros(*self.shape, dtype=torch.bool)
        support[:s, :s] = True
        self.support = torch.roll(support, shifts=(-r, -r), dims=(0, 1))
        self.dual_d = [torch.zeros(n, *self.shape, dtype=torch.float64),
                       torch.zeros_like(self.d)]
        self.dual_z = [torch.zeros(n, *self.shape, dtype=torch.float64),
                       torch.zeros_like(self.z)]
        self.history: List[Dict] = []

    # -- operators ---------------------------------------------------------------
    def _fft(self, x):
        return torch.fft.rfft2(x)

    def _ifft(self, x):
        return torch.fft.irfft2(x, s=self.shape)

    def synthesize(self, d=None, z=None) -> torch.Tensor:
        """``D z`` on the padded domain, (N, H', W')."""
        d = self.d if d is None else d
        z = self.z if z is None else z
        return self._synthesize_spectra(self._fft(d).flatten(-2), self._fft(z).flatten(-2))

    def _synthesize_spectra(self, d_hat, z_hat) -> torch.Tensor:
        """``D z`` from the flattened spectra ``d_hat`` (K, F) and ``z_hat`` (N, K, F)."""
        out = (d_hat.unsqueeze(0) * z_hat).sum(1)
        return self._ifft(out.view(out.shape[0], self.shape[0], -1))

    def interior(self, x: torch.Tensor) -> torch.Tensor:
        r = self.radius
        return x[..., r:x.shape[-2] - r, r:x.shape[-1] - r]

    def objective(self, d=None, z=None) -> float:
        z = self.z if z is None else z
        resid = self.mask * (self.interior(self.synthesize(d, z)) - self.b)
        return float(self.cfg.lam_residual / 2 * (resid**2).sum() + self.cfg.lam * z.abs().sum())

    def project_filters(self, d: torch.Tensor) -> torch.Tensor:
        """``KernelConstraintProj``: keep the support, scale to norm 1 where above."""
        d = d * self.support
        norm = d.flatten(1).norm(dim=1).clamp_min(1.0)
        return d / norm[:, None, None]

    def _prox_data(self, u: torch.Tensor, gamma: float) -> torch.Tensor:
        """``ProxDataMasked`` with theta = lambda_residual / gamma."""
        t = gamma / self.cfg.lam_residual
        return (self.Mtb + t * u) / (self.M + t)

    # -- sub-solves (the official ADMM form: v = H x, u = prox(v - dual),
    #    dual -= v - u, xi = u + dual, x = argmin ||H x - xi_1||^2 + rho ||x - xi_2||^2)
    def update_filters(self) -> None:
        g1, g2 = self.gamma_d
        rho = g2 / g1
        z_hat = self._fft(self.z).flatten(-2)  # (N, K, F)
        inv = woodbury_factor(z_hat, 1.0, rho)
        dual1, dual2 = self.dual_d
        d = self.d
        d_hat = self._fft(d).flatten(-2)
        for _ in range(self.cfg.inner_iters):
            v1, v2 = self._synthesize_spectra(d_hat, z_hat), d
            u1 = self._prox_data(v1 - dual1, g1)
            u2 = self.project_filters(v2 - dual2)
            dual1, dual2 = dual1 - (v1 - u1), dual2 - (v2 - u2)
            xi1, xi2 = self._fft(u1 + dual1).flatten(-2), self._fft(u2 + dual2).flatten(-2)
            rhs = (z_hat.conj() * xi1.unsqueeze(1)).sum(0) + rho * xi2
            d_hat = solve_filters_freq(z_hat, inv, rhs, rho)
            d = self._ifft(d_hat.view(d_hat.shape[0], self.shape[0], -1))
        self.dual_d = [dual1, dual2]
        self.d = d

    def update_codes(self) -> None:
        g1, g2 = self.gamma_z
        rho = g2 / g1
        d_hat = self._fft(self.d).flatten(-2)  # (K, F)
        dual1, dual2 = self.dual_z
        z = self.z
        z_hat = self._fft(z).flatten(-2)
        threshold = self.cfg.lam / g2
        for _ in range(self.cfg.inner_iters):
            v1, v2 = self._synthesize_spectra(d_hat, z_hat), z
            u1 = self._prox_data(v1 - dual1, g1)
            w = v2 - dual2
            u2 = torch.sign(w) * (w.abs() - threshold).clamp_min(0)
            dual1, dual2 = dual1 - (v1 - u1), dual2 - (v2 - u2)
            xi1, xi2 = self._fft(u1 + dual1).flatten(-2), self._fft(u2 + dual2).flatten(-2)
            rhs = d_hat.conj().unsqueeze(0) * xi1.unsqueeze(1) + rho * xi2
            z_hat = solve_codes_freq(d_hat, rhs, 1.0, rho)
            z = self._ifft(z_hat.view(*z_hat.shape[:2], self.shape[0], -1))
        self.dual_z = [dual1, dual2]
        self.z = z

    # -- CoGD ------------------------------------------------------------------------
    def positions(self, alpha: float) -> List[tuple]:
        """The (filter, row, column) positions the correction visits, in order."""
        cfg = self.cfg
        count = round(alpha * self.d.numel())
        if cfg.max_positions is not None:
            count = min(count, cfg.max_positions)
        if count <= 0:
            return []
        if cfg.loop_counter not in ('uint8', 'double'):
            raise ValueError(f"loop_counter must be 'uint8' or 'double', got {cfg.loop_counter!r}")
        # the uint8 loop counter comes with the uint8 count (max_positions); None is the
        # whole alpha fraction with a double counter
        saturate = (MATLAB_UINT8_MAX if cfg.loop_counter == 'uint8' and cfg.max_positions
                    is not None else None)
        z_sum = self.z.sum(0)
        indices = ranked_positions(z_sum, count, cfg.order, saturate).tolist()
        decoded = (decode_index(i, *self.shape, page_offset=cfg.index_page_offset)
                   for i in indices)
        return [p for p in decoded if p is not None]

    def correct(self, d_old: torch.Tensor, t: int) -> int:
        """Apply the rule after the filter sub-solve of outer iteration ``t`` (from 1);
        returns how many positions were changed."""
        cfg = self.cfg
        divisor = cfg.alpha_divisor or (2.0 if cfg.rule == 'backtrack' else 3.0)
        alpha = (cfg.outer_iters - t) / (divisor * cfg.outer_iters)
        positions = self.positions(alpha)
        d = self.d.clone()
        if len(set(positions)) == len(positions) > MATLAB_UINT8_MAX:
            # distinct positions (the whole alpha fraction): each is changed once from its
            # own values, so one vectorised step equals the code's loop
            self._correct_at_once(d, d_old, positions)
        elif cfg.rule == 'backtrack':
            for k, i, j in positions:
                d[k, i, j] = (1 - cfg.mix) * d[k, i, j] + cfg.mix * d_old[k, i, j]
        else:
            c = self._residual_scale()
            dz = self.z - self.z_old
            for k, i, j in positions:
                # the code's abs((d - d_old) + 1e-5): eps inside the absolute value
                denominator = abs(float(d[k, i, j] - d_old[k, i, j]) + cfg.eps)
                norm = float(dz[:, k, i, j].norm())
                p = 1.0 if denominator == 0 else min(norm / denominator, 1.0)
                d[k, i, j] = d[k, i, j] + d_old[k, i, j] * cfg.rescale_step * c * p
        self.d = d
        return len(positions)

    def _residual_scale(self) -> float:
        """``c = beta * sum(M (Dz - b))`` over the interior and the images."""
        resid = self.mask * (self.interior(self.synthesize(self.d, self.z)) - self.b)
        return self.cfg.beta * float(resid.sum())

    def _correct_at_once(self, d: torch.Tensor, d_old: torch.Tensor, positions) -> None:
        """The rule at distinct ``positions`` in one tensor operation (in place)."""
        cfg = self.cfg
        k, i, j = (torch.tensor(v) for v in zip(*positions))
        if cfg.rule == 'backtrack':
            d[k, i, j] = (1 - cfg.mix) * d[k, i, j] + cfg.mix * d_old[k, i, j]
            return
        c = self._residual_scale()
        norm = (self.z - self.z_old)[:, k, i, j].norm(dim=0)
        denominator = (d[k, i, j] - d_old[k, i, j] + cfg.eps).abs()
        p = torch.where(denominator == 0, torch.ones_like(norm),
                        (norm / denominator).clamp_max(1.0))
        d[k, i, j] = d[k, i, j] + d_old[k, i, j] * cfg.rescale_step * c * p

    # -- driver ------------------------------------------------------------------------
    def run(self, log_every: int = 0) -> 'OfficialLoopCSC':
        cfg = self.cfg
        obj_filter = obj_codes = self.objective()
        for t in range(1, cfg.outer_iters + 1):
            best_before = min(obj_filter, obj_codes)
            d_old, z_before = self.d.clone(), self.z.clone()
            self.update_filters()
            obj_filter = self.objective()
            corrected = self.correct(d_old, t) if cfg.rule else 0
            self.z_old = self.z.clone()
            self.update_codes()
            obj_codes = self.objective()
            reverted = cfg.revert and best_before <= obj_filter and best_before <= obj_codes
            if reverted:
                self.d, self.z = d_old, z_before
            metrics = self.metrics()
            entry = dict(iter=t, objective=self.objective(), corrected=corrected,
                         reverted=bool(reverted), **metrics)
            self.history.append(entry)
            if log_every and t % log_every == 0:
                print(f"  iter {t:3d} obj {entry['objective']:.5g} PSNR {metrics['psnr']:.3f} "
                      f"SSIM {metrics['ssim']:.4f} corrected {corrected}"
                      f"{' reverted' if reverted else ''}", flush=True)
        return self

    def reconstruction(self) -> torch.Tensor:
        """``D z`` on the images' interior, (N, H, W)."""
        return self.interior(self.synthesize())

    def metrics(self) -> Dict[str, float]:
        """Mean official PSNR and SSIM over the images (against the full images)."""
        rec = self.reconstruction()
        p, s = official_psnr(self.images, rec), official_ssim(self.images, rec)
        s7 = official_ssim(self.images, rec, covariance='octave7')
        return dict(psnr=sum(p) / len(p), ssim=sum(s) / len(s), ssim_octave7=sum(s7) / len(s7))

    def filters(self) -> torch.Tensor:
        """The learned filters on their s x s support (centred), (K, s, s)."""
        r, s = self.radius, self.cfg.filter_size
        return torch.roll(self.d, shifts=(r, r), dims=(1, 2))[:, :s, :s]
