"""Convolutional sparse coding (CSC) in PyTorch with the CoGD filter correction.

The problem (Heide et al., "Fast and Flexible Convolutional Sparse Coding",
CVPR 2015, the FFCSC solver that the official CoGD code wraps)::

    min_{d, z}  1/2 sum_i || M_i (b_i - sum_k d_k * z_ik) ||^2 + lam sum_ik ||z_ik||_1
    s.t. d_k supported on s x s, ||d_k||_2 <= 1

is solved on a padded domain of (H + s - 1) x (W + s - 1) pixels with circular
convolutions (``M`` is 0 on the padding, so the boundary is not observed),
alternating two ADMM sub-solves whose linear steps are solved frequency by
frequency in the Fourier domain:

* codes (per image): ``(rho1 D^H D + rho2 I) z = rhs`` with a rank-1 matrix
  per frequency, solved by Sherman-Morrison; the l1 split is a
  soft-threshold (FFCSC's ``ProxSparse``), the data split an elementwise
  weighted average (the mask term);
* filters (all images together): ``(rho1 Z^H Z + rho2 I) d = rhs``, a rank-n
  matrix per frequency, solved by Woodbury with an n x n inverse per
  frequency (computed once per filter phase); the constraint split projects
  onto the support and the unit ball.

CoGD (Zhuo et al., CVPR 2020, arXiv 2006.09142) corrects the filters after
their sub-solve and before the codes' (official code:
``admm_learn_conv2D_weighted.m`` -> ``backtracking_d.m`` for reconstruction,
``admm_learn_conv2D_weighted_sparse.m`` -> ``backtracking_btb.m`` for
inpainting), with :func:`mmlean.engine.optimizers.cogd.apply_correction`, the
same code the :class:`~mmlean.engine.optimizers.CoGD` optimizer runs.

Not a port: the ADMM is written from the equations above; its penalty
heuristic (``gamma = 60 lam / max(b)``, ``rho = (gamma / 5000, gamma)`` for
the filters, ``(gamma / 500, gamma)`` for the codes) and the 10 + 10 inner
iterations per outer iteration follow FFCSC's defaults as the official CoGD
code sets them.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from mmlean.engine.optimizers.cogd import apply_correction, decay_factor, select_positions

# scikit-image's sample photographs that ship with the package (no download)
SKIMAGE_PHOTOS = ('camera', 'astronaut', 'coffee', 'chelsea', 'rocket', 'coins', 'moon',
                  'clock', 'immunohistochemistry', 'hubble_deep_field', 'brick', 'gravel')


# -- data ---------------------------------------------------------------------
def _gaussian_kernel(sigma: float, dtype=torch.float64) -> torch.Tensor:
    r = int(math.ceil(3 * sigma))
    x = torch.arange(-r, r + 1, dtype=dtype)
    g = torch.exp(-x**2 / (2 * sigma**2))
    return g / g.sum()


def _blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    g = _gaussian_kernel(sigma, img.dtype)
    r = g.numel() // 2
    x = img[None, None]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode='reflect'), g.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode='reflect'), g.view(1, 1, -1, 1))
    return x[0, 0]


def local_contrast_normalize(img: torch.Tensor, sigma: float = 2.0) -> torch.Tensor:
    """Local contrast normalization, then zero mean.

    The image minus its Gaussian-weighted local mean, divided by the local
    standard deviation (floored at its mean over the image, so flat regions
    are not amplified), as FFCSC's data preparation ('local_cn') does; the
    Gaussian width is an option (FFCSC's exact kernel was not checked).
    """
    img = img.double()
    centered = img - _blur(img, sigma)
    std = _blur(centered**2, sigma).clamp_min(0).sqrt()
    out = centered / torch.maximum(std, std.mean())
    return out - out.mean()


def _gray(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.float64)
    elif image.dtype.kind in 'ui':
        image = image.astype(np.float64) / np.iinfo(image.dtype).max
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.2125, 0.7154, 0.0721])
    return image


def skimage_crops(num: int = 10, size: int = 100, seed: int = 0, scale: float = 0.5,
                  names: Sequence[str] = SKIMAGE_PHOTOS, sigma: float = 2.0) -> torch.Tensor:
    """``num`` seeded grayscale ``size`` x ``size`` crops of scikit-image's
    photographs (downscaled by ``scale``; one crop per photograph, cycling),
    local-contrast normalized. Returns (num, size, size) float64."""
    import skimage.data
    from skimage.transform import rescale
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(num):
        img = _gray(getattr(skimage.data, names[i % len(names)])())
        img = rescale(img, scale, anti_aliasing=True) if scale != 1 else img
        if min(img.shape) < size:
            raise ValueError(f'{names[i % len(names)]} is {img.shape} after scaling by '
                             f'{scale}: smaller than the crop size {size}')
        y = rng.integers(0, img.shape[0] - size + 1)
        x = rng.integers(0, img.shape[1] - size + 1)
        crops.append(local_contrast_normalize(torch.from_numpy(
            np.ascontiguousarray(img[y:y + size, x:x + size])), sigma))
    return torch.stack(crops)


def image_files(path: str) -> List[str]:
    """The image files of a folder, in name order (as MATLAB's ``dir`` lists them);
    a one-line error if there are none."""
    import glob
    import os.path as osp
    files = sorted(f for ext in ('png', 'jpg', 'jpeg', 'bmp', 'tif', 'pgm')
                   for f in glob.glob(osp.join(path, f'*.{ext}')))
    if not files:
        raise FileNotFoundError(
            f'no images in {path!r}: put the FFCSC data set there (e.g. '
            f'data/cogd/fruit_100_100/*.jpg, 10 grayscale 100x100 images, from the official '
            f'CoGD / FFCSC code\'s datasets/images folder); nothing is downloaded')
    return files


def load_image_folder(path: str, sigma: float = 2.0) -> torch.Tensor:
    """The official fruit / city sets (FFCSC's ``fruit_100_100`` and
    ``city_100_100``: 10 grayscale 100 x 100 images each), read from a folder
    of image files (sorted by name), local-contrast normalized."""
    from skimage.io import imread
    files = image_files(path)
    imgs = [torch.from_numpy(np.ascontiguousarray(_gray(imread(f)))) for f in files]
    shapes = {tuple(i.shape) for i in imgs}
    if len(shapes) != 1:
        raise ValueError(f'images in {path!r} differ in size: {sorted(shapes)}')
    return torch.stack([local_contrast_normalize(i, sigma) for i in imgs])


def random_mask(shape: Tuple[int, ...], keep: float = 0.75, seed: int = 0) -> torch.Tensor:
    """Seeded inpainting mask: 1 where a pixel is kept (probability ``keep``),
    as the official code's ``MtM(rand < 0.75) = 1`` (which is not seeded)."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=torch.float64) < keep).double()


# -- metrics ------------------------------------------------------------------
def psnr(x: torch.Tensor, ref: torch.Tensor) -> float:
    """PSNR in dB with the reference's value range (max - min) as the peak."""
    peak = float(ref.max() - ref.min())
    mse = float(((x - ref)**2).mean())
    return 10 * math.log10(peak**2 / mse) if mse > 0 else float('inf')


def ssim(x: torch.Tensor, ref: torch.Tensor) -> float:
    """SSIM (scikit-image's, Gaussian 7x7 window off; data range of the reference)."""
    from skimage.metrics import structural_similarity
    ref_np = ref.double().numpy()
    return float(structural_similarity(x.double().numpy(), ref_np,
                                       data_range=float(ref_np.max() - ref_np.min())))


# -- Fourier-domain linear solves -------------------------------------------------
def solve_codes_freq(d_hat: torch.Tensor, rhs: torch.Tensor, rho1: float,
                     rho2: float) -> torch.Tensor:
    """Solve ``(rho1 D^H D + rho2 I) z = rhs`` at every frequency.

    ``d_hat``: (K, F) filter spectra, ``rhs``: (N, K, F). Per frequency the
    matrix is ``rho2 I + rho1 v v^H`` with ``v = conj(d_hat[:, f])``
    (Sherman-Morrison).
    """
    a = d_hat.unsqueeze(0)
    proj = (a * rhs).sum(1, keepdim=True)  # v^H rhs = sum_k a_k rhs_k
    denom = rho2 + rho1 * (a.abs()**2).sum(1, keepdim=True)
    return (rhs - rho1 * a.conj() * proj / denom) / rho2


def woodbury_factor(z_hat: torch.Tensor, rho1: float, rho2: float) -> torch.Tensor:
    """(F, N, N) inverses of ``rho2 / rho1 I + Z Z^H``; ``z_hat``: (N, K, F)."""
    Z = z_hat.permute(2, 0, 1)  # (F, N, K)
    n = Z.shape[1]
    G = Z @ Z.conj().transpose(1, 2)
    eye = torch.eye(n, dtype=G.dtype)
    return torch.linalg.inv(G + (rho2 / rho1) * eye)


def solve_filters_freq(z_hat: torch.Tensor, inv: torch.Tensor, rhs: torch.Tensor,
                       rho2: float) -> torch.Tensor:
    """Solve ``(rho1 Z^H Z + rho2 I) d = rhs`` at every frequency (Woodbury:
    ``(rhs - Z^H (rho2/rho1 I + Z Z^H)^-1 Z rhs) / rho2``); ``rhs``: (K, F)."""
    Z = z_hat.permute(2, 0, 1)  # (F, N, K)
    r = rhs.transpose(0, 1).unsqueeze(-1)  # (F, K, 1)
    t = inv @ (Z @ r)
    out = (r - Z.conj().transpose(1, 2) @ t) / rho2
    return out.squeeze(-1).transpose(0, 1)


# -- the solver -------------------------------------------------------------------
@dataclass
class CSCConfig:
    """Options of :class:`ConvSparseCoding` (FFCSC / official CoGD defaults
    where they exist; the rest are this implementation's choices)."""
    num_filters: int = 100
    filter_size: int = 11
    lam: float = 1.0                 # sparsity weight (FFCSC lambda)
    lam_residual: float = 1.0        # data weight (FFCSC lambda_residual)
    outer_iters: int = 20            # the official code's effective max_it
    inner_iters: int = 10            # ADMM steps per sub-solve (d, then z)
    gamma_scale: float = 60.0        # gamma = 60 lam / max(b)
    rho_d: Tuple[float, float] = (1 / 5000, 1.0)  # x gamma: (data split, constraint split)
    rho_z: Tuple[float, float] = (1 / 500, 1.0)   # x gamma: (data split, l1 split)
    seed: int = 0
    # CoGD (None: the FFCSC baseline)
    rule: Optional[str] = None       # 'backtrack' | 'rescale' | 'paper'
    select: str = 'top'              # 'top' (official) | 'zero' (paper's motivation)
    positions: str = 'pixel'         # 'pixel' (official: d and sum_i z elementwise) | 'filter'
    alpha: float = 0.5               # 1/2 reconstruction, 1/3 inpainting (official)
    beta: float = 0.05               # 'rescale': beta_k; 'paper': coupling strength
    mix: float = 0.99                # 'backtrack'
    rescale_step: float = 0.1        # 'rescale'
    extra: Dict = field(default_factory=dict)


class ConvSparseCoding:
    """Filters and codes of a 2-D CSC problem by alternating Fourier-domain
    ADMM (FFCSC, Heide et al. CVPR 2015), with the CoGD correction on the
    filters after each filter sub-solve (Zhuo et al. CVPR 2020; official code
    ``backtracking_d.m`` / ``backtracking_btb.m``) when ``cfg.rule`` is set.

    Args:
        images (Tensor): (N, H, W) observations (contrast-normalized).
        mask (Tensor, optional): (N, H, W), 1 where a pixel is observed.
        cfg (CSCConfig): options.
    """

    def __init__(self, images: torch.Tensor, mask: Optional[torch.Tensor] = None,
                 cfg: Optional[CSCConfig] = None):
        self.cfg = cfg = cfg or CSCConfig()
        self.images = images.double()
        n, H, W = self.images.shape
        s = cfg.filter_size
        self.shape = (H + s - 1, W + s - 1)
        self.b = torch.zeros(n, *self.shape, dtype=torch.float64)
        self.b[:, :H, :W] = self.images
        self.M = torch.zeros_like(self.b)
        self.M[:, :H, :W] = 1.0 if mask is None else mask.double()
        self.b = self.b * self.M
        gamma = cfg.gamma_scale * cfg.lam / float(self.b.max())
        self.rho_d = tuple(r * gamma for r in cfg.rho_d)
        self.rho_z = tuple(r * gamma for r in cfg.rho_z)
        self.support = torch.zeros(*self.shape, dtype=torch.bool)
        self.support[:s, :s] = True
        g = torch.Generator().manual_seed(cfg.seed)
        d = torch.zeros(cfg.num_filters, *self.shape, dtype=torch.float64)
        d[:, :s, :s] = torch.randn(cfg.num_filters, s, s, generator=g, dtype=torch.float64)
        self.d = self.project_filters(d)
        self.z = torch.zeros(n, cfg.num_filters, *self.shape, dtype=torch.float64)
        self.z_prev = self.z.clone()
        # ADMM duals persist across outer iterations
        self._ud = [torch.zeros_like(self.b), torch.zeros_like(self.d)]
        self._uz = [torch.zeros_like(self.b), torch.zeros_like(self.z)]
        self.history: List[Dict] = []

    # -- operators ------------------------------------------------------------
    def fft(self, x):
        return torch.fft.rfft2(x)

    def ifft(self, x):
        return torch.fft.irfft2(x, s=self.shape)

    def synthesize(self, d: Optional[torch.Tensor] = None,
                   z: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``sum_k d_k * z_ik`` (circular), (N, H', W')."""
        d = self.d if d is None else d
        z = self.z if z is None else z
        return self.ifft((self.fft(d).unsqueeze(0) * self.fft(z)).sum(1))

    def project_filters(self, d: torch.Tensor) -> torch.Tensor:
        """Onto the constraint set: support s x s, ||d_k|| <= 1."""
        d = d * self.support
        norm = d.flatten(1).norm(dim=1).clamp_min(1.0)
        return d / norm[:, None, None]

    def _data_prox(self, v: torch.Tensor, rho: float) -> torch.Tensor:
        """argmin_y lam_res/2 ||M (b - y)||^2 + rho/2 ||y - v||^2."""
        w = self.cfg.lam_residual * self.M
        return (w * self.b + rho * v) / (w + rho)

    def objective(self) -> float:
        r = self.M * (self.synthesize() - self.b)
        return float(0.5 * self.cfg.lam_residual * (r**2).sum() + self.cfg.lam * self.z.abs().sum())

    # -- sub-solves ---------------------------------------------------------------
    def update_codes(self, iters: int) -> None:
        """ADMM for the codes with the filters fixed (FFCSC's z step)."""
        rho1, rho2 = self.rho_z
        d_hat = self.fft(self.d).flatten(1)
        u1, u2 = self._uz
        z = self.z
        y1 = self._data_prox(self.synthesize(self.d, z) + u1, rho1)
        y2 = z
        spec = lambda x: self.fft(x).flatten(-2)  # noqa: E731
        for _ in range(iters):
            rhs = rho1 * d_hat.conj().unsqueeze(0) * spec(y1 - u1).unsqueeze(1) + rho2 * spec(
                y2 - u2)
            z_hat = solve_codes_freq(d_hat, rhs, rho1, rho2)
            zf = z_hat.view(*z_hat.shape[:2], self.shape[0], -1)
            z = self.ifft(zf)
            Dz = self.ifft((d_hat.unsqueeze(0) * z_hat).sum(1).view(
                z_hat.shape[0], self.shape[0], -1))
            y1 = self._data_prox(Dz + u1, rho1)
            v = z + u2
            y2 = torch.sign(v) * (v.abs() - self.cfg.lam / rho2).clamp_min(0)
            u1 = u1 + Dz - y1
            u2 = u2 + z - y2
        self._uz = [u1, u2]
        self.z_prev = self.z
        self.z = y2

    def update_filters(self, iters: int) -> None:
        """ADMM for the filters with the codes fixed (FFCSC's d step)."""
        rho1, rho2 = self.rho_d
        n = self.z.shape[0]
        z_hat = self.fft(self.z).flatten(-2)  # (N, K, F)
        inv = woodbury_factor(z_hat, rho1, rho2)
        u1, u2 = self._ud
        d = self.d
        y1 = self._data_prox(self.synthesize(d, self.z) + u1, rho1)
        y2 = d
        spec = lambda x: self.fft(x).flatten(-2)  # noqa: E731
        for _ in range(iters):
            rhs = rho1 * (z_hat.conj() * spec(y1 - u1).unsqueeze(1)).sum(0) + rho2 * spec(y2 - u2)
            d_hat = solve_filters_freq(z_hat, inv, rhs, rho2)
            d = self.ifft(d_hat.view(-1, self.shape[0], d_hat.shape[-1] // self.shape[0]))
            Zd = self.ifft((z_hat * d_hat.unsqueeze(0)).sum(1).view(n, self.shape[0], -1))
            y1 = self._data_prox(Zd + u1, rho1)
            y2 = self.project_filters(d + u2)
            u1 = u1 + Zd - y1
            u2 = u2 + d - y2
        self._ud = [u1, u2]
        self.d = y2

    # -- CoGD -------------------------------------------------------------------
    def cogd_correct(self, d_old: torch.Tensor, t: int) -> int:
        """Correct the filters after their sub-solve (returns how many
        positions were corrected). ``t`` counts outer iterations from 1, so
        ``alpha_t = alpha (T - t) / T`` runs 0.475 -> 0 for the official
        reconstruction setting (alpha 1/2, T 20)."""
        cfg = self.cfg
        f = decay_factor(t, cfg.outer_iters)
        alpha_t = cfg.alpha * f
        K = self.d.shape[0]
        if cfg.positions == 'pixel':
            # the official rule: filter value at (k, p) vs the codes at (k, p)
            A_new, A_old = self.d.reshape(-1, 1), d_old.reshape(-1, 1)
            x = self.z.permute(1, 2, 3, 0).reshape(-1, self.z.shape[0])
            x_old = self.z_prev.permute(1, 2, 3, 0).reshape(-1, self.z.shape[0])
            grad_fn = lambda g: g.permute(1, 2, 3, 0).reshape(x.shape)  # noqa: E731
        elif cfg.positions == 'filter':
            A_new, A_old = self.d.reshape(K, -1), d_old.reshape(K, -1)
            x = self.z.transpose(0, 1).reshape(K, -1)
            x_old = self.z_prev.transpose(0, 1).reshape(K, -1)
            grad_fn = lambda g: g.transpose(0, 1).reshape(K, -1)  # noqa: E731
        else:
            raise ValueError(f"positions must be 'pixel' or 'filter', got {cfg.positions!r}")
        sel = select_positions(x, cfg.select, alpha_t)
        if not bool(sel.any()) or (cfg.rule == 'paper' and f == 0):
            return 0
        resid = self.M * (self.synthesize() - self.b)
        grad = None
        if cfg.rule == 'paper':
            # dG/dz of the data term: D^T (M (Dz - b)), per image and filter
            g = self.ifft(self.fft(self.d).conj().unsqueeze(0) * self.fft(resid).unsqueeze(1))
            grad = grad_fn(g * self.cfg.lam_residual)
        new = apply_correction(cfg.rule, sel, A_new, A_old, x, x_old, x, grad, lr=1.0,
                               beta=cfg.beta * (f if cfg.rule == 'paper' else 1.0), mix=cfg.mix,
                               step=cfg.rescale_step, residual_sum=float(resid.sum()))
        self.d = new.reshape(self.d.shape)
        if cfg.rule == 'paper':
            self.d = self.project_filters(self.d)
        return int(sel.sum())

    # -- driver -------------------------------------------------------------------
    def run(self, log_every: int = 0) -> 'ConvSparseCoding':
        cfg = self.cfg
        for t in range(1, cfg.outer_iters + 1):
            d_old = self.d.clone()
            self.update_filters(cfg.inner_iters)
            corrected = self.cogd_correct(d_old, t) if cfg.rule else 0
            self.update_codes(cfg.inner_iters)
            rec = self.reconstruction()
            entry = dict(iter=t, objective=self.objective(), corrected=corrected,
                         sparsity=float((self.z != 0).double().mean()),
                         psnr=psnr(rec, self.images))
            self.history.append(entry)
            if log_every and t % log_every == 0:
                print(f"  iter {t:3d} obj {entry['objective']:.4g} psnr {entry['psnr']:.2f} "
                      f"nnz {entry['sparsity']:.4f} corrected {corrected}", flush=True)
        return self

    def reconstruction(self) -> torch.Tensor:
        """``D z`` on the image region, (N, H, W)."""
        H, W = self.images.shape[1:]
        return self.synthesize()[:, :H, :W]

    def filters(self) -> torch.Tensor:
        s = self.cfg.filter_size
        return self.d[:, :s, :s]
