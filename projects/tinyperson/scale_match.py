"""Scale Match and Monotone Scale Match (Yu et al., "Scale Match for Tiny
Person Detection", WACV 2020, Sec. 4; official TinyBenchmark code,
maskrcnn_benchmark/data/transforms/scale_match.py).

Object size is s = sqrt(w h). The target size distribution is a histogram of
the target set's sizes (:class:`SizeHistogram`); :class:`ScaleMatch` samples
a target size from it (Eq. 5), :class:`MonotoneScaleMatch` maps a source size
monotonically onto it (Eq. 7). Both return the image scale c = s_target / s.
"""
import json
import os.path as osp

import numpy as np

from .annotations import is_ignore_region


def object_sizes_from_json(path):
    """sqrt(w h) of every box of a COCO-format json that is not crowd, ignore or uncertain."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Scale Match: annotation file not found: {path}')
    with open(path) as f:
        coco = json.load(f)
    if not isinstance(coco, dict) or not isinstance(coco.get('annotations'), list):
        raise ValueError(f"{path}: expected a COCO-format json with an 'annotations' list")
    sizes = []
    for i, ann in enumerate(coco['annotations']):
        if is_ignore_region(ann, ignore_uncertain=True):
            continue
        try:
            w, h = float(ann['bbox'][2]), float(ann['bbox'][3])
        except (KeyError, IndexError, TypeError, ValueError):
            raise ValueError(
                f"{path}: annotations[{i}]: field 'bbox' must be [x, y, w, h]") from None
        if w > 0 and h > 0:
            sizes.append(np.sqrt(w * h))
    if not sizes:
        raise ValueError(f'{path}: no usable boxes to build a size distribution from')
    return np.asarray(sizes, dtype=np.float64)


class SizeHistogram:
    """Target size histogram: ``edges`` (K + 1) and bin probabilities ``probs`` (K).

    With ``except_rate`` r > 0 the smallest and the largest r/2 of the sizes
    form the first and the last bin, and the K - 2 bins between are of equal
    width (so rare extremes do not stretch the histogram); r <= 0 gives K
    equal-width bins over [min, max].
    """

    def __init__(self, edges, probs):
        self.edges = np.asarray(edges, dtype=np.float64)
        self.probs = np.asarray(probs, dtype=np.float64)
        if self.edges.ndim != 1 or len(self.edges) != len(self.probs) + 1:
            raise ValueError('SizeHistogram: need K + 1 edges for K probabilities')
        if np.any(np.diff(self.edges) < 0) or not np.isclose(self.probs.sum(), 1.0):
            raise ValueError('SizeHistogram: edges must increase and probabilities sum to 1')

    @classmethod
    def from_sizes(cls, sizes, bins=100, except_rate=None):
        sizes = np.sort(np.asarray(sizes, dtype=np.float64))
        if bins < 3:
            raise ValueError(f'SizeHistogram: bins must be >= 3, got {bins}')
        if except_rate is None:
            except_rate = 2.0 / bins
        n = len(sizes)
        if except_rate <= 0:
            counts, edges = np.histogram(sizes, bins=bins, range=(sizes[0], sizes[-1]))
            return cls(edges, counts / n)
        cut = int(n * except_rate / 2)
        lo, hi = sizes[cut], sizes[n - 1 - cut]
        if hi <= lo:
            hi = lo + 1e-6
        middle = np.linspace(lo, hi, bins - 1)
        edges = np.concatenate([[sizes[0]], middle, [max(sizes[-1], hi)]])
        counts = np.empty(bins)
        counts[0] = np.count_nonzero(sizes < lo)
        counts[-1] = np.count_nonzero(sizes > hi)
        inner = sizes[(sizes >= lo) & (sizes <= hi)]
        counts[1:-1], _ = np.histogram(inner, bins=middle)
        return cls(edges, counts / counts.sum())

    def cdf_edges(self):
        """Cumulative probability at each edge (0 ... 1)."""
        return np.concatenate([[0.0], np.cumsum(self.probs)])


class ScaleMatch:
    """SM: c = s_t / s with s_t drawn from the target histogram (Eq. 5).

    A bin k is drawn with probability p_k, then s_t ~ U(e_k, e_k+1). A scale
    outside ``scale_range`` is redrawn up to ``max_tries`` times, then clipped
    (the official ``OUT_SCALE_DEAL='clip'``).
    """

    def __init__(self, target, scale_range=(0.1, 1.0), max_tries=5, rng=None):
        self.target, self.scale_range, self.max_tries = target, tuple(scale_range), max_tries
        self.rng = rng

    def sample_sizes(self, n, rng=None):
        rng = rng or self.rng or np.random
        k = rng.choice(len(self.target.probs), size=n, p=self.target.probs)
        return rng.uniform(self.target.edges[k], self.target.edges[k + 1])

    def scale_for(self, size, rng=None):
        lo, hi = self.scale_range
        c = lo
        for _ in range(max(1, self.max_tries)):
            c = float(self.sample_sizes(1, rng)[0]) / size
            if lo <= c <= hi:
                return c
        return float(np.clip(c, lo, hi))


class MonotoneScaleMatch:
    """MSM: s_t = f(s), the monotone map of the source size CDF onto the target's (Eq. 7).

    Source edges are the source sizes at the target's cumulative
    probabilities, src_k = sorted[floor(CDF_k N)] (src_0 = min, src_K = max);
    a size in source bin k maps linearly into target bin k.
    """

    def __init__(self, target, source_sizes, scale_range=(0.1, 1.0)):
        self.target, self.scale_range = target, tuple(scale_range)
        src = np.sort(np.asarray(source_sizes, dtype=np.float64))
        n = len(src)
        idx = np.minimum((target.cdf_edges() * n).astype(np.int64), n - 1)
        edges = src[idx]
        edges[0], edges[-1] = src[0], src[-1]
        self.source_edges = np.maximum.accumulate(edges)

    def map_sizes(self, sizes):
        sizes = np.asarray(sizes, dtype=np.float64)
        src, dst = self.source_edges, self.target.edges
        k = np.clip(np.searchsorted(src, sizes, side='right') - 1, 0, len(dst) - 2)
        width = src[k + 1] - src[k]
        frac = np.where(width > 0, (sizes - src[k]) / np.where(width > 0, width, 1), 0.5)
        return dst[k] + np.clip(frac, 0.0, 1.0) * (dst[k + 1] - dst[k])

    def scale_for(self, size, rng=None):
        c = float(self.map_sizes([size])[0]) / size
        return float(np.clip(c, *self.scale_range))
