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


def greedy_match(ious, gt_ignore, crowd, iou_thrs, iods=None):
    """COCO's greedy matching with TinyPerson's IoD fallback, for several area ranges
    and IoU thresholds at once.

    Args:
        ious: ``D x G`` IoUs, detections by decreasing score, GTs in a fixed order.
        gt_ignore: ``A x G`` bools, which GTs are ignored in each of A area ranges.
        crowd: ``G`` bools (a crowd GT may be matched any number of times).
        iou_thrs: the thresholds t (used as ``min(t, 1 - 1e-10)``, as pycocotools).
        iods: ``D x G`` IoDs |D ∩ G| / |D|, or None for no IoD fallback.

    Returns:
        ``A x T x D`` int array: the matched GT's index + 1, 0 if unmatched.

    The result is that of pycocotools' ``COCOeval.evaluateImg`` loop, with the
    GTs stably sorted regular first, plus the fallback of TinyBenchmark's
    cocoeval.py (``use_iod_for_ignore``): each detection in turn takes, among
    the GTs not yet taken (or crowd) with IoU >= t, the regular one with the
    largest IoU (the last of equal IoUs: pycocotools' scan replaces on ties), else
    such an ignored one; failing that, the ignored GT with the largest IoD
    (the first of equal IoDs) if that IoD >= t, which then counts as taken.

    What is vectorised: the candidate pairs (IoU >= the lowest threshold) are
    found and sorted by preference once per image, the fallback of every
    detection once per range; the sequential part, a detection's first free
    candidate, is a short loop over these lists, as the outcome of a detection
    depends on what the better-scored ones took.
    """
    ious = np.asarray(ious, dtype=np.float64)
    gt_ignore = np.atleast_2d(np.asarray(gt_ignore, dtype=bool))
    (D, G), A = ious.shape, len(gt_ignore)
    thrs = [min(float(t), 1 - 1e-10) for t in iou_thrs]
    out = np.zeros((A, len(thrs), D), dtype=np.int64)
    if D == 0 or not thrs:
        return out
    lowest = min(thrs)
    # candidate GTs of each detection, best IoU first, the later GT first among equal IoUs
    d_idx, g_idx = np.nonzero(ious >= lowest)
    val = ious[d_idx, g_idx]
    pref = np.lexsort((-g_idx, -val, d_idx))
    cands = [[] for _ in range(D)]
    for d, g, v in zip(d_idx[pref].tolist(), g_idx[pref].tolist(), val[pref].tolist()):
        cands[d].append((g, v))
    with_cands = [d for d in range(D) if cands[d]]
    if iods is not None and G:
        # best IoD over each range's ignored GTs (the first of equal ones); -1 if none
        masked = np.where(gt_ignore[:, None, :], np.asarray(iods, dtype=np.float64)[None], -1.0)
        fb_gt = masked.argmax(axis=2)
        fb_iod = np.take_along_axis(masked, fb_gt[:, :, None], axis=2)[:, :, 0]
        fb_gt, fb_iod = fb_gt.tolist(), fb_iod.tolist()
        fb_any = (np.asarray(fb_iod) >= lowest).tolist()
    else:
        fb_gt = fb_iod = fb_any = None
    crowd = np.asarray(crowd, dtype=bool).tolist()
    rows = out.tolist()
    for a in range(A):
        ignored = gt_ignore[a].tolist()
        if fb_any is None:
            active, fb_g, fb_v = with_cands, None, None
        else:
            fb_g, fb_v = fb_gt[a], fb_iod[a]
            active = [d for d in range(D) if cands[d] or fb_any[a][d]]
        for t_i, thr in enumerate(thrs):
            row = rows[a][t_i]
            taken = set()
            for d in active:
                m = -1
                for g, v in cands[d]:  # a free regular GT
                    if v < thr:
                        break
                    if not ignored[g] and g not in taken:
                        m = g
                        break
                if m < 0:
                    for g, v in cands[d]:  # a free ignored GT (free regular ones are gone)
                        if v < thr:
                            break
                        if g not in taken:
                            m = g
                            break
                if m < 0:
                    if fb_g is None or not fb_v[d] >= thr:
                        continue
                    m = fb_g[d]
                row[d] = m + 1
                if not crowd[m]:
                    taken.add(m)
    return np.asarray(rows, dtype=np.int64).reshape(A, len(thrs), D)


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

    ``evaluateImg`` returns what pycocotools' loop would (same fields, same
    values), but an image is evaluated in all of ``params.areaRng`` at its
    first call: the detections' sort, the IoD matrix and the candidate pairs
    are range-independent, and the matching is :func:`greedy_match`.
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
        self._image_cache = {}
        self._range_index = {tuple(r): i for i, r in enumerate(self.params.areaRng)}

    def _match_ranges(self, data, area_ranges):
        """Every area range's evaluateImg fields of one image (see :func:`greedy_match`)."""
        rng = np.asarray(area_ranges, dtype=np.float64).reshape(-1, 2)
        lo, hi = rng[:, :1], rng[:, 1:]
        area = data['gt_area'][None, :]
        gt_ignore = data['flagged'][None, :] | (area < lo) | (area > hi)  # A x G
        gt_order = np.argsort(gt_ignore, axis=1, kind='stable')  # regular GTs first
        position = np.zeros((len(rng), gt_ignore.shape[1] + 1), dtype=np.int64)
        np.put_along_axis(position[:, 1:], gt_order, np.arange(1, gt_ignore.shape[1] + 1)[None],
                          axis=1)
        matched = greedy_match(data['ious'], gt_ignore, data['crowd'], self.params.iouThrs,
                               data['iods'])  # A x T x D, GT index + 1
        A, T, D = matched.shape
        dt_match = np.take_along_axis(position, matched.reshape(A, T * D), axis=1)
        dt_match = dt_match.reshape(A, T, D)  # position + 1 in each range's GT order
        gt_ignore = np.take_along_axis(gt_ignore, gt_order, axis=1)
        a_i, t_i, d_i = np.nonzero(dt_match)
        gt_matched = np.zeros((A, T, gt_ignore.shape[1]))
        gt_matched[a_i, t_i, dt_match[a_i, t_i, d_i] - 1] = 1
        dt_ignore = np.zeros((A, T, D), dtype=bool)
        dt_ignore[a_i, t_i, d_i] = gt_ignore[a_i, dt_match[a_i, t_i, d_i] - 1]
        outside = (data['dt_area'][None, :] < lo) | (data['dt_area'][None, :] > hi)  # A x D
        dt_ignore |= (dt_match == 0) & outside[:, None, :]
        gt_ids = data['gt_ids'][gt_order].tolist()
        return [dict(dtMatches=dt_match[a].astype(np.float64), gtMatches=gt_matched[a],
                     gtIgnore=gt_ignore[a].astype(np.int64), dtIgnore=dt_ignore[a],
                     gtIds=gt_ids[a]) for a in range(A)]

    def _image(self, img_id, cat_id, max_det):
        """One image's evaluation in every range of ``params.areaRng``, computed at the first
        call and cached: the GTs, the ``max_det`` best detections (stable sort by score), the
        IoU and IoD matrices and the matching (the range-independent work is done once)."""
        key = (img_id, cat_id, max_det)
        data = self._image_cache.get(key)
        if data is not None:
            return data
        gt, dt = self._gts[img_id, cat_id], self._dts[img_id, cat_id]
        dt_order = np.argsort([-d['score'] for d in dt], kind='mergesort')[:max_det]
        dt = [dt[i] for i in dt_order]
        G, D = len(gt), len(dt)
        ious = self.ious[img_id, cat_id]
        data = dict(
            empty=G == 0 and D == 0,
            flagged=np.array([bool(g['ignore']) for g in gt], dtype=bool),
            crowd=np.array([bool(g['iscrowd']) for g in gt], dtype=bool),
            gt_area=np.array([g['area'] for g in gt], dtype=np.float64),
            gt_ids=np.array([g['id'] for g in gt], dtype=np.int64),
            dt_area=np.array([d['area'] for d in dt], dtype=np.float64),
            dt_ids=[d['id'] for d in dt], scores=[d['score'] for d in dt],
            # pycocotools' rows: the same stable sort by score, cut to maxDets[-1]
            ious=np.asarray(ious, dtype=np.float64)[:D] if G and D else np.zeros((D, G)),
            iods=(intersection_over_detection([d['bbox'] for d in dt], [g['bbox'] for g in gt])
                  if self.use_iod_for_ignore and G and D else None))
        if not data['empty']:
            data['ranges'] = self._match_ranges(data, self.params.areaRng)
        self._image_cache[key] = data
        return data

    def evaluateImg(self, imgId, catId, aRng, maxDet):  # noqa: N802,N803 (pycocotools' API)
        data = self._image(imgId, catId, maxDet)
        if data['empty']:
            return None
        a_i = self._range_index.get(tuple(aRng))
        fields = (data['ranges'][a_i] if a_i is not None
                  else self._match_ranges(data, [aRng])[0])
        return dict(fields, image_id=imgId, category_id=catId, aRng=aRng, maxDet=maxDet,
                    dtIds=data['dt_ids'], dtScores=data['scores'])

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


__all__ = ['TinyPersonCOCOeval', 'evaluate_ap', 'greedy_match', 'intersection_over_detection',
           'tiny_params', 'TINY_AREA_RANGES', 'TINY_IOU_THRS']
