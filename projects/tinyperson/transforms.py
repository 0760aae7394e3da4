"""Pipeline transforms for TinyPerson: tile cropping and Scale Match."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .scale_match import MonotoneScaleMatch, ScaleMatch, SizeHistogram, object_sizes_from_json


@TRANSFORMS.register_module()
class CropByCorner(BaseTransform):
    """Cut the loaded image to ``results['tile_corner']`` (a tile of a whole image).

    Put it right after ``LoadImageFromFile``. Tile files keep the whole
    image's ``file_name``, so the image on disk is the whole one; boxes of a
    tile are already in tile coordinates. ``img_shape`` and ``ori_shape``
    become the tile's, so predictions come back in tile coordinates and
    ``TinyPersonMetric`` shifts them by the corner. Without a corner the
    results pass through unchanged.
    """

    def transform(self, results):
        corner = results.get('tile_corner')
        if corner is None:
            return results
        x1, y1, x2, y2 = (int(round(v)) for v in corner)
        img = results['img']
        h, w = img.shape[:2]
        if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
            raise ValueError(f"{results.get('img_path')}: tile corner {corner} is outside the "
                             f'{w}x{h} image')
        results['img'] = np.ascontiguousarray(img[y1:y2, x1:x2])
        results['img_shape'] = results['ori_shape'] = (y2 - y1, x2 - x1)
        return results


@TRANSFORMS.register_module()
class ScaleMatchResize(BaseTransform):
    """Scale Match / Monotone Scale Match (Yu et al., WACV 2020, Sec. 4, Eq. 3-7).

    Resizes an image of the external set (e.g. COCO) so that its objects'
    size follows the target set's (TinyPerson's) size distribution:

    * the image's size is the geometric mean of its (non-ignored) box sizes,
      s_hat = exp(mean(log sqrt(w h)));
    * ``'SM'``: draw a bin k ~ p_k of the target histogram, then s ~ U(edge_k,
      edge_k+1) (Eq. 5); up to 5 fresh draws are tried for a scale inside
      ``scale_range``, then it is clipped;
    * ``'MSM'``: s = f(s_hat), the monotone map that sends the source size CDF
      onto the target's (Eq. 7), clipped to ``scale_range``;
    * scale c = s / s_hat; no box, or no box left of at least ``min_box_size``
      pixels at scale c, gives ``default_scale``; boxes under ``min_box_size``
      in width or height after resizing are dropped.

    Args:
        target_ann_file: TinyPerson json whose sizes form the target histogram.
        source_ann_file: COCO json of the external set (needed for ``'MSM'``).
        mode: ``'SM'`` or ``'MSM'``.
        bins, except_rate: target histogram (100 bins, extremes 2/bins).
        default_scale, scale_range, min_box_size: as in the official code
            (0.25, (0.1, 1.0), 2 px).
        interpolation: mmcv interpolation ('bilinear').
    """

    def __init__(self, target_ann_file, source_ann_file=None, mode='SM', bins=100, except_rate=None,
                 default_scale=0.25, scale_range=(0.1, 1.0), min_box_size=2.0,
                 interpolation='bilinear', max_tries=5):
        if mode not in ('SM', 'MSM'):
            raise ValueError(f"ScaleMatchResize: mode must be 'SM' or 'MSM', got {mode!r}")
        if mode == 'MSM' and source_ann_file is None:
            raise ValueError("ScaleMatchResize: mode='MSM' needs source_ann_file (the external "
                             'set, e.g. COCO train json)')
        target = SizeHistogram.from_sizes(object_sizes_from_json(target_ann_file), bins=bins,
                                          except_rate=except_rate)
        if mode == 'SM':
            self.matcher = ScaleMatch(target, scale_range=scale_range, max_tries=max_tries)
        else:
            self.matcher = MonotoneScaleMatch(target, object_sizes_from_json(source_ann_file),
                                              scale_range=scale_range)
        self.mode, self.default_scale = mode, default_scale
        self.min_box_size, self.interpolation = min_box_size, interpolation
        self.target_ann_file, self.source_ann_file = target_ann_file, source_ann_file

    def _scale(self, boxes, ignore):
        if len(boxes) == 0:
            return self.default_scale
        wh = boxes[:, 2:] - boxes[:, :2]
        sizes = np.sqrt(np.clip(wh[:, 0] * wh[:, 1], 0, None))
        use = (~ignore) & (sizes > 0)
        if not use.any():
            return self.default_scale
        mean_size = float(np.exp(np.mean(np.log(sizes[use]))))
        c = self.matcher.scale_for(mean_size)
        if not ((wh * c >= self.min_box_size).all(axis=1) & ~ignore).any():
            return self.default_scale
        return c

    def transform(self, results):
        import mmcv
        boxes = results.get('gt_bboxes')
        if boxes is None:
            c = self.default_scale
        else:
            arr = boxes.numpy()
            ignore = results.get('gt_ignore_flags')
            ignore = np.zeros(len(arr), bool) if ignore is None else np.asarray(ignore, dtype=bool)
            c = float(self._scale(arr, ignore))
        img = results['img']
        h, w = img.shape[:2]
        new_w, new_h = max(1, int(round(w * c))), max(1, int(round(h * c)))
        results['img'] = mmcv.imresize(img, (new_w, new_h), interpolation=self.interpolation)
        sx, sy = new_w / w, new_h / h
        results['img_shape'] = (new_h, new_w)
        old = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (old[0] * sx, old[1] * sy)
        if boxes is not None:
            boxes.rescale_([sx, sy])
            boxes.clip_(results['img_shape'])
            wh = boxes.widths.numpy(), boxes.heights.numpy()
            keep = (wh[0] >= self.min_box_size) & (wh[1] >= self.min_box_size)
            results['gt_bboxes'] = boxes[keep]
            for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
                if key in results:
                    results[key] = results[key][keep]
        results['scale_match_factor'] = c
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'target_ann_file={self.target_ann_file!r}, '
                f'source_ann_file={self.source_ann_file!r}, default_scale={self.default_scale})')
