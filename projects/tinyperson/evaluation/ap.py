"""TinyPerson average precision: COCO's AP with the benchmark's ignore rules.

Re-implemented from the protocol of TinyBenchmark's ``cocoeval.py`` with
``EVAL_STRANDARD='tiny'``, ``ignore_uncertain=True`` and
``use_iod_for_ignore=True`` (official TinyBenchmark code,
maskrcnn_benchmark/data/datasets/evaluation/coco/cocoeval.py, as
tools/evaluate/evaluate_tiny.py calls it); nothing is copied.
The accumulation into precision/recall is pycocotools' own.
"""

import numpy as np
from pycocotools.cocoeval import COCOeval, Params

from ..annotations import is_ignore_region

# (label, lower size, upper size) in pixels; size = sqrt(area), bounds inclusive.
# The official cocoeval.py uses a lower bound of 1, not the paper's 2 (arXiv 1912.10664).
TINY_AREA_RANGES = (
    ('all', 1, 1e5),
    ('tiny', 1, 20),
    ('tiny1', 1, 8),
    ('tiny2', 8, 12),
    ('tiny3', 12, 20),
    ('small', 20, 32),
    ('reasonable', 32, 1e5),
)
TINY_IOU_THRS = (0.25, 0.5, 0.75)


def intersection_over_detection(det_xywh, gt_xywh):
    """IoD = |D ∩ G| / |D| for every pair; boxes are ``[x, y, w, h]`` rows."""
    det = np.asarray(det_xywh, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt_xywh, dtype=np.float64).reshape(-1, 4)
    ix = (np.minimum(det[:, None, 0] + det[:, None, 2], gt[None, :, 0] + gt[None, :, 2]) -
          np.maximum(det[:, None, 0], gt[None, :, 0])).clip(min=0)
    iy = (np.minimum(det[:, None, 1] + det[:, None, 3], gt[None, :, 1] + gt[None, :, 3]) -
          np.maximum(det[:, None, 1], gt[None, :, 1])).clip(min=0)
    area = det[:, 2] * det[:, 3]
    return ix * iy / np.maximum(area[:, None], np.finfo(np.float64).tiny)


def tiny_params(iou_thrs=TINY_IOU_THRS, max_dets=200, area_ranges=TINY_AREA_RANGES):
    """pycocotools ``Params`` set to the TinyPerson AP protocol."""
    p = Params(iouType='bbox')
    p.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
    p.recThrs = np.linspace(0.0, 1.0, 101)
    p.maxDets = [int(max_dets)]
    p.areaRng = [[float(lo) ** 2, float(hi) ** 2] for _, lo, hi in area_ranges]
    p.areaRngLbl = [name for name, _, _ in area_ranges]
    return p


class TinyPersonCOCOeval(COCOeval):
    """COCOeval with TinyPerson's positives and its IoD rule for ignore regions.

    * A GT is ignored if its ``ignore`` attribute or ``iscrowd`` is set, if it
      is ``uncertain`` (``ignore_uncertain=True``), or if its area is outside
      the current range. Ignored GTs are neither missed nor matched as TPs.
    * Matching is COCO's greedy matching (highest score first, non-ignored
      GTs first, best IoU >= t). A detection that matches nothing is compared
      with every ignored GT by IoD = |D ∩ G| / |D|; if the largest IoD reaches
      the current IoU threshold t, the detection is ignored (neither TP nor
      FP). The official code derives the same number from the IoU,
      IoU / (1 + IoU) * (1 + area_G / area_D); it is computed directly here,
      which is equal for TinyPerson's boxes (area = w * h, no crowd boxes).
    * Unmatched detections outside the area range are ignored (COCO's rule).

    Deviation on purpose: pycocotools stores the matched GT's *id* and takes
    id 0 for "unmatched"; here a match is stored as the GT's position + 1, so
    a GT whose id is 0 counts like any other.
    """

    def __init__(self, coco_gt, coco_dt, iou_thrs=TINY_IOU_THRS, max_dets=200,
                 area_ranges=TINY_AREA_RANGES, ignore_uncertain=True, use_iod_for_ignore=True):
        super().__init__(coco_gt, coco_dt, iouType='bbox')
        img_ids, cat_ids = self.params.imgIds, self.params.catIds
        self.params = tiny_params(iou_thrs, max_dets, area_ranges)
        self.params.imgIds, self.params.catIds = img_ids, cat_ids
        self.ignore_uncertain = ignore_uncertain
        self.use_iod_for_ignore = use_iod_for_ignore
        # pycocotools' _prepare overwrites ann['ignore'] with iscrowd in place: keep the raw flags
        self._raw_ignore = {ann['id']: int(is_ignore_region(ann, ignore_uncertain))
                            for ann in coco_gt.anns.values()}

    def _prepare(self):
        super()._prepare()
        for gts in self._gts.values():
            for g in gts:
                g['ignore'] = self._raw_ignore[g['id']]

    def evaluateImg(self, imgId, catId, aRng, maxDet):  # noqa: N802,N803 (pycocotools' API)
        p = self.params
        gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        if len(gt) == 0 and len(dt) == 0:
            return None
        gt_ignore = np.array([int(g['ignore'] or not aRng[0] <= g['area'] <= aRng[1]) for g in gt],
                             dtype=np.int64)
        gt_order = np.argsort(gt_ignore, kind='mergesort')
        gt = [gt[i] for i in gt_order]
        gt_ignore = gt_ignore[gt_order]
        dt_order = np.argsort([-d['score'] for d in dt], kind='mergesort')[:maxDet]
        dt = [dt[i] for i in dt_order]
        crowd = np.array([bool(g['iscrowd']) for g in gt], dtype=bool)
        ious = self.ious[imgId, catId]
        ious = (np.asarray(ious)[:, gt_order] if len(ious) else np.zeros((len(dt), len(gt))))
        ignored_idx = np.flatnonzero(gt_ignore)
        iods = (intersection_over_detection([d['bbox'] for d in dt],
                                            [gt[i]['bbox'] for i in ignored_idx])
                if self.use_iod_for_ignore and len(ignored_idx) and len(dt) else None)

        T, G, D = len(p.iouThrs), len(gt), len(dt)
        gt_matched = np.zeros((T, G), dtype=bool)
        dt_match = np.zeros((T, D))  # matched GT position + 1, 0 = unmatched
        dt_ignore = np.zeros((T, D), dtype=bool)
        regular = gt_ignore == 0
        for t_i, t in enumerate(p.iouThrs):
            thr = min(t, 1 - 1e-10)
            for d_i in range(D):
                free = ~gt_matched[t_i] | crowd
                iou = ious[d_i]
                m = -1
                for pool in (free & regular, free & ~regular):
                    ok = pool & (iou >= thr)
                    if ok.any():
                        cand = np.flatnonzero(ok)
                        best = iou[cand].max()
                        m = int(cand[iou[cand] == best][-1])  # COCO keeps the last of equal IoUs
                        break
                if m < 0 and iods is not None:
                    j = int(np.argmax(iods[d_i]))
                    if iods[d_i, j] >= thr:
                        m = int(ignored_idx[j])
                if m < 0:
                    continue
                dt_ignore[t_i, d_i] = bool(gt_ignore[m])
                dt_match[t_i, d_i] = m + 1
                gt_matched[t_i, m] = True
        outside = np.array([not aRng[0] <= d['area'] <= aRng[1] for d in dt], dtype=bool)
        dt_ignore |= (dt_match == 0) & outside[None, :]
        return {
            'image_id': imgId, 'category_id': catId, 'aRng': aRng, 'maxDet': maxDet,
            'dtIds': [d['id'] for d in dt], 'gtIds': [g['id'] for g in gt],
            'dtMatches': dt_match, 'gtMatches': gt_matched.astype(np.float64),
            'dtScores': [d['score'] for d in dt], 'gtIgnore': gt_ignore, 'dtIgnore': dt_ignore,
        }

    def results(self):
        """``{(iou_thr, area_label): AP}`` in [0, 1] (-1 where a range has no GT)."""
        precision = self.eval['precision']  # T x R x K x A x M
        out = {}
        for t_i, t in enumerate(self.params.iouThrs):
            for a_i, label in enumerate(self.params.areaRngLbl):
                s = precision[t_i, :, :, a_i, -1]
                s = s[s > -1]
                out[float(t), label] = float(s.mean()) if s.size else -1.0
        return out


def evaluate_ap(coco_gt, coco_dt, **kwargs):
    """Run :class:`TinyPersonCOCOeval` quietly and return its ``results()``."""
    import contextlib
    import io
    ev = TinyPersonCOCOeval(coco_gt, coco_dt, **kwargs)
    with contextlib.redirect_stdout(io.StringIO()):
        ev.evaluate()
        ev.accumulate()
    return ev.results()


__all__ = ['TinyPersonCOCOeval', 'evaluate_ap', 'intersection_over_detection', 'tiny_params',
           'TINY_AREA_RANGES', 'TINY_IOU_THRS']
