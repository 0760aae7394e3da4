"""TinyPerson log-average miss rate (CityPersons-style, ``filter_type='size'``).

Re-implemented from the protocol the TinyPerson benchmark uses for MR (official
TinyBenchmark code, third/Cityscapes/cityperson_eval.py and
third/Cityscapes/evaluation/eval_script/eval_MR_multisetup.py); nothing is copied:

* size = sqrt(area) of the GT (``area`` field) and sqrt(w * h) of a detection;
* ranges tiny1 [2, 8], tiny2 [8, 12], tiny3 [12, 20], tiny [2, 20],
  small [20, 32], all [-1, 1e5]; a GT outside the range is ignored;
* detections are first cut to the 1000 best per image, then kept only if
  lo / 1.25 <= size < hi * 1.25;
* ``ignore``, ``uncertain`` GTs are ignore regions; against an ignored GT the
  overlap used for matching is IoD (|D ∩ G| / |D|, CityPersons' crowd rule),
  against the others IoU; an ignored GT may absorb any number of detections;
* a detection that matches nothing at IoU threshold t is still ignored if the
  official fallback score against an ignored GT exceeds 0.5 (below);
* recall is read at 9 FPPI points log-spaced in [1e-2, 1], FPPI = FP / number
  of images; MR = exp(mean(log(1 - recall))) over the points.

The fallback score: the official code computes "IoD from IoU" as
v / (1 + v) * (1 + area_G / area_D) and applies it to the stored overlap v,
which for ignored GTs is already the IoD. That double conversion is kept on
purpose, so that numbers stay comparable with the published ones.

Deviation on purpose (a bug in the official code): at an FPPI point below the
first false positive's FPPI (possible only on sets under 100 images whose
best detection is a false positive) the official code indexes the recall
array at -1 and so reads the *final* recall; here the recall there is 0.
"""
import numpy as np

from .ap import intersection_over_detection

MR_SIZE_RANGES = (
    ('tiny1', 2, 8),
    ('tiny2', 8, 12),
    ('tiny3', 12, 20),
    ('tiny', 2, 20),
    ('small', 20, 32),
    ('all', -1, 1e5),
)
FPPI_POINTS = np.exp(np.linspace(np.log(1e-2), np.log(1.0), 9))


def _iou_xywh(det, gt):
    det = np.asarray(det, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    iod = intersection_over_detection(det, gt)
    inter = iod * (det[:, 2] * det[:, 3])[:, None]
    union = (det[:, 2] * det[:, 3])[:, None] + (gt[:, 2] * gt[:, 3])[None, :] - inter
    return inter / np.maximum(union, np.finfo(np.float64).tiny)


def log_average_miss_rate(recall_at_fppi):
    """exp(mean(log(MR_i))) with MR_i = 1 - recall_i (the points where MR_i < 2)."""
    mr = 1.0 - np.asarray(recall_at_fppi, dtype=np.float64)
    mr = mr[mr < 2]
    if mr.size == 0:
        return -1.0
    with np.errstate(divide='ignore'):
        return float(np.exp(np.mean(np.log(mr))))


class TinyPersonMissRate:
    """Log-average miss rate of detections against a TinyPerson GT (COCO objects).

    Args:
        coco_gt / coco_dt: pycocotools ``COCO`` objects (``coco_dt`` from ``loadRes``).
        iou_thrs: IoU thresholds (MR25, MR50, MR75).
        max_dets: detections kept per image before the size filter (1000).
        size_ranges: ``(label, lo, hi)`` triples.
        exp_filter: detection size pre-filter factor (1.25).
        iod_thr: fallback threshold against ignore regions (fixed 0.5).
        ignore_uncertain: uncertain GTs are ignore regions.
    """

    def __init__(self, coco_gt, coco_dt, iou_thrs=(0.25, 0.5, 0.75), max_dets=1000,
                 size_ranges=MR_SIZE_RANGES, exp_filter=1.25, iod_thr=0.5, ignore_uncertain=True,
                 use_iod_for_ignore=True, fppi_points=FPPI_POINTS):
        self.coco_gt, self.coco_dt = coco_gt, coco_dt
        self.iou_thrs = tuple(float(t) for t in iou_thrs)
        self.max_dets, self.size_ranges, self.exp_filter = max_dets, size_ranges, exp_filter
        self.iod_thr, self.ignore_uncertain = iod_thr, ignore_uncertain
        self.use_iod_for_ignore = use_iod_for_ignore
        self.fppi_points = np.asarray(fppi_points, dtype=np.float64)
        self.img_ids = sorted(coco_gt.getImgIds())
        self.cat_ids = sorted(coco_gt.getCatIds())
        self._cache = {}

    def _image_data(self, img_id, cat_id):
        """What does not depend on the size range, computed once per image: GTs, the best
        ``max_dets`` detections, their sizes and the IoU / IoD matrices."""
        key = (img_id, cat_id)
        if key not in self._cache:
            gts = self.coco_gt.loadAnns(self.coco_gt.getAnnIds(imgIds=[img_id], catIds=[cat_id]))
            dts = self.coco_dt.loadAnns(self.coco_dt.getAnnIds(imgIds=[img_id], catIds=[cat_id]))
            dts = [dts[i] for i in np.argsort([-d['score'] for d in dts],
                                              kind='mergesort')][:self.max_dets]
            flagged = np.array([bool(g.get('ignore', False)) or
                                (self.ignore_uncertain and bool(g.get('uncertain', False)))
                                for g in gts], bool)
            dbox = np.array([d['bbox'] for d in dts], np.float64).reshape(-1, 4)
            gbox = np.array([g['bbox'] for g in gts], np.float64).reshape(-1, 4)
            self._cache[key] = dict(
                empty=not gts and not dts, flagged=flagged,
                gt_size=np.sqrt(np.array([g['area'] for g in gts], np.float64)),
                gt_area=np.array([g['area'] for g in gts], np.float64),
                dt_area=dbox[:, 2] * dbox[:, 3],
                scores=np.array([d['score'] for d in dts], np.float64),
                iou=_iou_xywh(dbox, gbox), iod=intersection_over_detection(dbox, gbox))
        return self._cache[key]

    def _image(self, img_id, cat_id, lo, hi):
        data = self._image_data(img_id, cat_id)
        if data['empty']:
            return None
        ignore = data['flagged'] | ~((lo <= data['gt_size']) & (data['gt_size'] <= hi))
        order = np.argsort(ignore, kind='mergesort')  # regular GTs first
        ignore = ignore[order]
        dt_size = np.sqrt(data['dt_area'])
        keep = (lo / self.exp_filter <= dt_size) & (dt_size < hi * self.exp_filter)
        T, G, D = len(self.iou_thrs), len(ignore), int(keep.sum())
        matched = np.zeros((T, D), dtype=bool)
        dt_ignore = np.zeros((T, D), dtype=bool)
        if G and D:
            overlap = np.where(ignore[None, :], data['iod'][keep][:, order],
                               data['iou'][keep][:, order])
            v = overlap[:, ignore]
            g_area = data['gt_area'][order][ignore]
            fallback = v / (1 + v) * (
                1 + g_area[None, :] / np.maximum(data['dt_area'][keep][:, None], 1e-300))
            for t_i, t in enumerate(self.iou_thrs):
                thr = min(t, 1 - 1e-10)
                gt_taken = np.zeros(G, dtype=bool)
                for d_i in range(D):
                    ov = overlap[d_i]
                    m = -1
                    for pool in (~gt_taken & ~ignore, ~gt_taken & ignore):
                        ok = pool & (ov >= thr)
                        if ok.any():
                            cand = np.flatnonzero(ok)
                            m = int(cand[ov[cand] == ov[cand].max()][-1])
                            break
                    if m < 0 and self.use_iod_for_ignore and fallback.shape[1]:
                        j = int(np.argmax(fallback[d_i]))
                        if fallback[d_i, j] > self.iod_thr:
                            m = int(np.flatnonzero(ignore)[j])
                    if m < 0:
                        continue
                    if ignore[m]:
                        dt_ignore[t_i, d_i] = True  # ignore regions absorb any number of detections
                    else:
                        matched[t_i, d_i] = True
                        gt_taken[m] = True
        return dict(scores=data['scores'][keep], matched=matched, dt_ignore=dt_ignore,
                    num_pos=int((~ignore).sum()))

    def evaluate(self):
        """``{(iou_thr, size_label): MR}`` in [0, 1] (-1 where a range has no GT)."""
        out = {}
        for label, lo, hi in self.size_ranges:
            per_thr = {t: [] for t in self.iou_thrs}
            for cat_id in self.cat_ids:
                evals = [e for e in (self._image(i, cat_id, lo, hi) for i in self.img_ids) if e]
                num_pos = sum(e['num_pos'] for e in evals)
                if not evals or num_pos == 0:
                    continue
                scores = np.concatenate([e['scores'] for e in evals])
                order = np.argsort(-scores, kind='mergesort')
                for t_i, t in enumerate(self.iou_thrs):
                    tp = np.concatenate([e['matched'][t_i] for e in evals])[order]
                    ig = np.concatenate([e['dt_ignore'][t_i] for e in evals])[order]
                    fp = ~tp & ~ig
                    tp = tp & ~ig
                    recall = np.cumsum(tp) / num_pos
                    fppi = np.cumsum(fp) / len(self.img_ids)
                    idx = np.searchsorted(fppi, self.fppi_points, side='right') - 1
                    r = np.where(idx >= 0, recall[np.maximum(idx, 0)] if len(recall) else 0.0, 0.0)
                    per_thr[t].append(r)
            for t in self.iou_thrs:
                out[t, label] = (log_average_miss_rate(np.concatenate(per_thr[t]))
                                 if per_thr[t] else -1.0)
        return out
