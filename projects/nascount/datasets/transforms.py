"""Transforms that keep head points, per-head sigmas and density maps consistent.

Registered in mmengine's root ``TRANSFORMS`` (where mmcv's ``LoadImageFromFile``
also lives). The geometric transforms move the points (and a density map if one
was made already); the density map is best made last (``GenerateDensityMap``
after cropping, flipping and resizing), so that every head inside the crop keeps
unit mass. ``ComputeHeadSigmas`` before the crop keeps the geometry-adaptive
widths of the whole image (heads near a crop edge still see their real
neighbours).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS
from mmengine.structures import BaseDataElement

from .density import (DENSITY_MODES, adaptive_sigmas, check_points, points_to_density,
                      sum_pool_density)


def _points(results: Dict) -> np.ndarray:
    return check_points(results.get('gt_points', np.zeros((0, 2))), 'gt_points').astype(
        np.float32)


def _pair(size: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(size, int):
        size = (size, size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f'{name} must be an int or (h, w) with positive entries, got {size!r}')
    return int(size[0]), int(size[1])


def _set_points(results: Dict, pts: np.ndarray, keep: Optional[np.ndarray] = None) -> None:
    results['gt_points'] = pts.astype(np.float32)
    if keep is not None and results.get('gt_sigmas') is not None:
        results['gt_sigmas'] = np.asarray(results['gt_sigmas'])[keep]
    results['gt_count'] = int(len(pts))


@TRANSFORMS.register_module()
class ComputeHeadSigmas(BaseTransform):
    """Geometry-adaptive kernel widths ``sigma_i = beta * d_i`` on the whole image.

    MCNN (Zhang et al., CVPR 2016, Sec. 2.2, Eq. 1): ``d_i`` is the mean
    distance to the ``k`` nearest heads, ``beta = 0.3``, ``k = 3``. Stored as
    ``gt_sigmas``; later crops keep the widths of the kept heads and resizes
    scale them. Adds ``gt_sigmas``.
    """

    def __init__(self, beta: float = 0.3, k: int = 3, fallback_sigma: float = 15.0):
        self.beta, self.k, self.fallback_sigma = beta, k, fallback_sigma

    def transform(self, results: Dict) -> Dict:
        results['gt_sigmas'] = adaptive_sigmas(_points(results), self.beta, self.k,
                                               self.fallback_sigma)
        return results


@TRANSFORMS.register_module()
class RandomCropWithPoints(BaseTransform):
    """Random ``crop_size = (h, w)`` window; the heads inside it are kept and shifted.

    An image smaller than the window is padded at the bottom/right with
    ``pad_val`` first (CSRNet-style training crops; the padding holds no
    heads). A density map already in ``gt_density`` is cropped with the image
    (the mass of heads cut by the window edge is then partial; make the map
    after the crop to avoid that). Updates ``img``, ``img_shape``,
    ``gt_points``, ``gt_sigmas``, ``gt_count`` and ``gt_density``.
    """

    def __init__(self, crop_size: Union[int, Sequence[int]], pad_val: int = 0):
        self.crop_size = _pair(crop_size, 'crop_size')
        self.pad_val = pad_val

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        ch, cw = self.crop_size
        h, w = img.shape[:2]
        density = results.get('gt_density')
        if h < ch or w < cw:
            ph, pw = max(ch, h), max(cw, w)
            padded = np.full((ph, pw) + img.shape[2:], self.pad_val, img.dtype)
            padded[:h, :w] = img
            img = padded
            if density is not None:
                d = np.zeros((ph, pw), density.dtype)
                d[:h, :w] = density
                density = d
            h, w = ph, pw
        y0 = int(np.random.randint(0, h - ch + 1))
        x0 = int(np.random.randint(0, w - cw + 1))
        results['img'] = img[y0:y0 + ch, x0:x0 + cw]
        results['img_shape'] = (ch, cw)
        if density is not None:
            results['gt_density'] = density[y0:y0 + ch, x0:x0 + cw]
        pts = _points(results)
        keep = ((pts[:, 0] >= x0) & (pts[:, 0] < x0 + cw) & (pts[:, 1] >= y0)
                & (pts[:, 1] < y0 + ch))
        _set_points(results, pts[keep] - np.array([x0, y0], np.float32), keep)
        results['crop_offset'] = (x0, y0)
        return results


@TRANSFORMS.register_module()
class RandomFlipWithPoints(BaseTransform):
    """Horizontal flip with probability ``prob``: ``x -> W - x`` in continuous image
    coordinates (pixel ``c`` spans ``[c, c + 1)``, so a head inside pixel column ``c``
    moves into column ``W - 1 - c``), the density map flipped with the image."""

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        if not flip:
            return results
        img = results['img']
        w = img.shape[1]
        results['img'] = np.ascontiguousarray(img[:, ::-1])
        if results.get('gt_density') is not None:
            results['gt_density'] = np.ascontiguousarray(results['gt_density'][:, ::-1])
        pts = _points(results)
        pts[:, 0] = w - pts[:, 0]
        # a head exactly on the left edge (x = 0) would land on x = W: keep it inside
        pts[:, 0] = np.minimum(pts[:, 0], np.nextafter(np.float32(w), np.float32(0)))
        _set_points(results, pts)
        return results


@TRANSFORMS.register_module()
class ResizeWithPoints(BaseTransform):
    """Resize by ``scale`` and/or to a long-side limit; points and sigmas scaled with it.

    The factor is ``scale * min(1, max_long_side / max(H, W))`` (UCF-QNRF's
    images are commonly limited to a long side of 1920-2048 px; the value is
    a config choice). Heads are never dropped, so the count is unchanged; the
    density map must be made after this (a resized map does not keep its
    sum), and one present already is an error. ``size_divisor`` rounds the
    new size to a multiple (e.g. the network's output stride).
    """

    def __init__(self, max_long_side: Optional[int] = None, scale: float = 1.0,
                 size_divisor: int = 1, interpolation: str = 'bilinear'):
        if max_long_side is not None and max_long_side < 1:
            raise ValueError(f'max_long_side must be >= 1, got {max_long_side}')
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.max_long_side, self.scale = max_long_side, scale
        self.size_divisor, self.interpolation = size_divisor, interpolation

    def transform(self, results: Dict) -> Dict:
        import mmcv
        if results.get('gt_density') is not None:
            raise ValueError('ResizeWithPoints: the pipeline made gt_density before resizing; '
                             'put GenerateDensityMap after ResizeWithPoints (a resized density '
                             'map does not keep its count)')
        img = results['img']
        h, w = img.shape[:2]
        factor = self.scale
        if self.max_long_side is not None:
            factor *= min(1.0, self.max_long_side / (max(h, w) * factor))
        d = self.size_divisor
        nh = max(d, int(round(h * factor / d)) * d)
        nw = max(d, int(round(w * factor / d)) * d)
        if (nh, nw) != (h, w):
            results['img'] = mmcv.imresize(img, (nw, nh), interpolation=self.interpolation)
        sx, sy = nw / w, nh / h
        pts = _points(results) * np.array([sx, sy], np.float32)
        _set_points(results, pts)
        if results.get('gt_sigmas') is not None:
            results['gt_sigmas'] = np.asarray(results['gt_sigmas']) * np.sqrt(sx * sy)
        results['img_shape'] = (nh, nw)
        results['scale_factor'] = (sx, sy)
        return results


@TRANSFORMS.register_module()
class GenerateDensityMap(BaseTransform):
    """The density map of the image's heads (:func:`points_to_density`), in ``gt_density``.

    ``mode='adaptive'``: geometry-adaptive Gaussians (MCNN, CVPR 2016, Sec.
    2.2: ``beta = 0.3``, ``k = 3``), from ``gt_sigmas`` when
    ``ComputeHeadSigmas`` ran earlier; ``'fixed'``: one ``sigma`` (CSRNet,
    CVPR 2018, Sec. 4.1: 15 on ShanghaiTech B). Unit mass per head, also at
    the borders; ``scale`` multiplies the map (a common density scale factor;
    the model divides its counts by the same factor).
    """

    def __init__(self, mode: str = 'adaptive', sigma: float = 15.0, beta: float = 0.3,
                 k: int = 3, truncate: float = 3.0, fallback_sigma: float = 15.0):
        if mode not in DENSITY_MODES:
            raise ValueError(f'mode must be one of {DENSITY_MODES}, got {mode!r}')
        self.mode, self.sigma, self.beta, self.k = mode, sigma, beta, k
        self.truncate, self.fallback_sigma = truncate, fallback_sigma

    def transform(self, results: Dict) -> Dict:
        h, w = results['img'].shape[:2]
        sigmas = results.get('gt_sigmas') if self.mode == 'adaptive' else None
        results['gt_density'] = points_to_density(
            _points(results), (h, w), sigmas=sigmas, mode=self.mode, sigma=self.sigma,
            beta=self.beta, k=self.k, truncate=self.truncate, fallback_sigma=self.fallback_sigma)
        return results


@TRANSFORMS.register_module()
class DownsampleDensity(BaseTransform):
    """Sum-pool ``gt_density`` by ``stride`` (:func:`sum_pool_density`): the map of a
    network with that output stride, ``ceil(H / s) x ceil(W / s)``, same count."""

    def __init__(self, stride: int = 8):
        self.stride = stride

    def transform(self, results: Dict) -> Dict:
        if results.get('gt_density') is None:
            raise KeyError('DownsampleDensity: no gt_density; put GenerateDensityMap before it')
        results['gt_density'] = sum_pool_density(results['gt_density'], self.stride)
        results['density_stride'] = self.stride
        return results


@TRANSFORMS.register_module()
class PackCountingInputs(BaseTransform):
    """Pack ``inputs`` (``C x H x W`` uint8 tensor) and a data sample for counting.

    The data sample (an mmengine ``BaseDataElement``) holds ``gt_density``
    (``1 x h x w`` float tensor) and ``gt_points`` as data, and ``gt_count``
    plus ``meta_keys`` as meta information.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape', 'img_shape',
                                                   'scale_factor', 'flip', 'density_stride')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = BaseDataElement()
        pts = _points(results)
        sample.gt_points = torch.from_numpy(pts)
        if results.get('gt_density') is not None:
            sample.gt_density = torch.from_numpy(
                np.ascontiguousarray(results['gt_density'], np.float32))[None]
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['gt_count'] = float(results.get('gt_count', len(pts)))
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)
