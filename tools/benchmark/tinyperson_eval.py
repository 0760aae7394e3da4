"""TinyPerson evaluation time: ours against an official-style reference, in the same run.

    OMP_NUM_THREADS=1 python tools/benchmark/tinyperson_eval.py [--reps 3] [--images 786]
        [--seed 0] [--skip-reference]

The set is synthetic and sized like TinyPerson's test set (786 whole images,
about 25K GT boxes of which about 8% ignore regions or uncertain boxes, about
31K detections: jittered hits, duplicates, hits inside ignore regions, false
positives; persons in clusters, sizes log-normal around 10 px). Both sides
start from the same pycocotools ``COCO`` objects; building them is not timed.

* ours: :func:`evaluate_ap` (TinyPersonCOCOeval) and
  :class:`TinyPersonMissRate`;
* reference: the protocol computed the way the official TinyBenchmark code
  computes it (maskrcnn_benchmark/.../coco/cocoeval.py with
  ``EVAL_STRANDARD='tiny'`` for AP; third/Cityscapes/cityperson_eval.py and
  eval_MR_multisetup.py for MR): pycocotools' per-detection, per-GT Python
  loops, the IoD derived from the IoU, and for MR a whole evaluation per size
  range with the pairwise overlaps computed in a Python double loop. It is a
  re-statement of that code's structure written here, not the official code
  (which has no licence and is not vendored), so its time is an estimate of
  the official evaluator's.

The runs alternate (ours AP, reference AP, ours MR, reference MR) ``--reps``
times; the medians and ratios of the process CPU time (one thread: less
sensitive than the wall time to other jobs on a shared machine) and of the
wall time are printed, with the largest difference between the two sides'
numbers (they must agree).
"""
import argparse
import contextlib
import io
import statistics
import time

import numpy as np
from pycocotools.cocoeval import COCOeval

from mmlean.projects.tinyperson.evaluation import (TinyPersonMissRate, detections_coco, evaluate_ap,
                                                   person_coco)
from mmlean.projects.tinyperson.evaluation.ap import tiny_params
from mmlean.projects.tinyperson.evaluation.miss_rate import FPPI_POINTS, MR_SIZE_RANGES


def make_scene(seed=0, n_img=786, width=1920, height=1080):
    """A TinyPerson-like dict and detection list (see the module docstring)."""
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []

    def add_ann(img, box, **flags):
        anns.append(dict(id=len(anns) + 1, image_id=img, category_id=int(rng.integers(1, 3)),
                         bbox=[float(v) for v in box], area=float(box[2] * box[3]), iscrowd=0,
                         ignore=flags.get('ignore', False), uncertain=flags.get('uncertain', False),
                         logo=False, in_dense_image=False))

    def add_det(img, box, score):
        dets.append(dict(image_id=img, bbox=[float(v) for v in box],
                         score=float(np.float32(score))))

    for i in range(1, n_img + 1):
        images.append(dict(id=i, file_name=f'labeled_images/{i}.jpg', width=width, height=height))
        n_person = int(min(300, rng.lognormal(np.log(22), 0.8)))
        n_cluster = max(1, n_person // 8)
        centres = np.stack([rng.uniform(50, width - 50, n_cluster),
                            rng.uniform(50, height - 50, n_cluster)], 1)
        for _ in range(n_person):
            cx, cy = centres[rng.integers(n_cluster)] + rng.normal(0, 40, 2)
            s = float(np.clip(np.exp(rng.normal(np.log(10), 0.6)), 1.5, 150))
            r = rng.uniform(0.35, 0.8)
            w, h = s * np.sqrt(r), s / np.sqrt(r)
            box = [np.clip(cx, 0, width - w), np.clip(cy, 0, height - h), w, h]
            add_ann(i, box, uncertain=bool(rng.random() < 0.04))
            if rng.random() < 0.78:  # a hit, sometimes with a duplicate
                j = rng.normal(0, 0.12 * s, 4)
                dbox = [box[0] + j[0], box[1] + j[1], max(0.5, w + j[2]), max(0.5, h + j[3])]
                score = rng.beta(4, 1.5)
                add_det(i, dbox, score)
                if rng.random() < 0.12:
                    j = rng.normal(0, 0.15 * s, 2)
                    add_det(i, [dbox[0] + j[0], dbox[1] + j[1], dbox[2], dbox[3]], score * 0.7)
        for _ in range(int(rng.integers(0, 4))):  # ignore regions with detections in and on them
            w, h = rng.uniform(30, 160), rng.uniform(30, 120)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            add_ann(i, [x, y, w, h], ignore=True)
            for _ in range(int(rng.integers(1, 6))):
                s = rng.uniform(4, 20)
                add_det(i, [x + rng.uniform(-s, w), y + rng.uniform(-s, h), s * 0.6, s],
                        rng.beta(2, 3))
        for _ in range(int(rng.poisson(8.5))):  # false positives
            s = float(np.clip(np.exp(rng.normal(np.log(10), 0.7)), 1.5, 200))
            add_det(i, [rng.uniform(0, width - s), rng.uniform(0, height - s), s * 0.6, s],
                    rng.beta(1.5, 4))
    gt = dict(images=images, annotations=anns,
              categories=[dict(id=1, name='sea_person'), dict(id=2, name='earth_person')])
    return gt, dets


class ReferenceAP(COCOeval):
    """AP computed the way TinyBenchmark's cocoeval.py ('tiny') does: pycocotools' loops."""

    def __init__(self, coco_gt, coco_dt):
        super().__init__(coco_gt, coco_dt, iouType='bbox')
        img_ids, cat_ids = self.params.imgIds, self.params.catIds
        self.params = tiny_params()
        self.params.imgIds, self.params.catIds = img_ids, cat_ids
        self._flags = {a['id']: bool(a.get('ignore') or a.get('iscrowd') or a.get('uncertain'))
                       for a in coco_gt.anns.values()}

    def _prepare(self):
        super()._prepare()
        for gts in self._gts.values():
            for g in gts:
                g['ignore'] = self._flags[g['id']]

    def evaluateImg(self, imgId, catId, aRng, maxDet):  # noqa: N802,N803 (pycocotools' API)
        p = self.params
        gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            g['_ignore'] = 1 if g['ignore'] or not aRng[0] <= g['area'] <= aRng[1] else 0
        gtind = np.argsort([g['_ignore'] for g in gt], kind='mergesort')
        gt = [gt[i] for i in gtind]
        dtind = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in dtind[0:maxDet]]
        iscrowd = [int(o['iscrowd']) for o in gt]
        ious = self.ious[imgId, catId][:, gtind] if len(self.ious[imgId, catId]) > 0 else []
        T, G, D = len(p.iouThrs), len(gt), len(dt)
        gtm, dtm = np.zeros((T, G)), np.zeros((T, D))
        gtIg = np.array([g['_ignore'] for g in gt])  # noqa: N806
        dtIg = np.zeros((T, D))  # noqa: N806
        ig_idx = np.flatnonzero(gtIg)
        g_area = np.array([g['area'] for g in gt])
        if len(ious) != 0:
            for tind, t in enumerate(p.iouThrs):
                for dind, d in enumerate(dt):
                    iou = min([t, 1 - 1e-10])
                    m = -1
                    for gind, g in enumerate(gt):
                        if gtm[tind, gind] > 0 and not iscrowd[gind]:
                            continue
                        if m > -1 and gtIg[m] == 0 and gtIg[gind] == 1:
                            break
                        if ious[dind, gind] < iou:
                            continue
                        iou = ious[dind, gind]
                        m = gind
                    if m == -1 and len(ig_idx):  # IoD from the IoU against the ignored GTs
                        v = ious[dind, ig_idx]
                        iods = v / (1 + v) * (1 + g_area[ig_idx] / d['area'])
                        j = int(np.argmax(iods))
                        if iods[j] >= min([t, 1 - 1e-10]):
                            m = int(ig_idx[j])
                    if m == -1:
                        continue
                    dtIg[tind, dind] = gtIg[m]
                    dtm[tind, dind] = m + 1
                    gtm[tind, m] = dind + 1
        a = np.array([d['area'] < aRng[0] or d['area'] > aRng[1] for d in dt]).reshape((1, D))
        dtIg = np.logical_or(dtIg, np.logical_and(dtm == 0, np.repeat(a, T, 0)))  # noqa: N806
        return {'image_id': imgId, 'category_id': catId, 'aRng': aRng, 'maxDet': maxDet,
                'dtIds': [d['id'] for d in dt], 'gtIds': [g['id'] for g in gt],
                'dtMatches': dtm, 'gtMatches': gtm, 'dtScores': [d['score'] for d in dt],
                'gtIgnore': gtIg, 'dtIgnore': dtIg}

    def results(self):
        out = {}
        for t_i, t in enumerate(self.params.iouThrs):
            for a_i, label in enumerate(self.params.areaRngLbl):
                s = self.eval['precision'][t_i, :, :, a_i, -1]
                s = s[s > -1]
                out[float(t), label] = float(s.mean()) if s.size else -1.0
        return out


def reference_ap(coco_gt, coco_dt):
    ev = ReferenceAP(coco_gt, coco_dt)
    with contextlib.redirect_stdout(io.StringIO()):
        ev.evaluate()
        ev.accumulate()
    return ev.results()


def _pairwise_overlap(dts, gts, crowd):
    """IoU, or IoD against a crowd (ignore) GT, pair by pair as the CityPersons code does."""
    dts, gts = np.asarray(dts), np.asarray(gts)
    out = np.zeros((len(dts), len(gts)))
    for j, g in enumerate(gts):
        gx1, gy1, gx2, gy2 = g[0], g[1], g[0] + g[2], g[1] + g[3]
        garea = g[2] * g[3]
        for i, d in enumerate(dts):
            dx1, dy1, dx2, dy2 = d[0], d[1], d[0] + d[2], d[1] + d[3]
            darea = d[2] * d[3]
            iw = min(dx2, gx2) - max(dx1, gx1)
            if iw <= 0:
                continue
            ih = min(dy2, gy2) - max(dy1, gy1)
            if ih <= 0:
                continue
            inter = iw * ih
            out[i, j] = inter / (darea if crowd[j] else darea + garea - inter)
    return out


def reference_mr(coco_gt, coco_dt, iou_thrs=(0.25, 0.5, 0.75), max_dets=1000, exp_filter=1.25):
    """MR computed the way the official CityPersons-based code does: one whole evaluation
    (preparation, overlaps, matching, accumulation) per size range."""
    img_ids = sorted(coco_gt.getImgIds())
    out = {}
    for label, lo, hi in MR_SIZE_RANGES:
        records = {t: [] for t in iou_thrs}
        num_pos = 0
        for img_id in img_ids:
            gts = coco_gt.loadAnns(coco_gt.getAnnIds(imgIds=[img_id]))
            dts = coco_dt.loadAnns(coco_dt.getAnnIds(imgIds=[img_id]))
            for g in gts:
                size = np.sqrt(g['area'])
                g['_ig'] = int(bool(g.get('ignore') or g.get('uncertain'))
                               or not lo <= size <= hi)
            gts = [gts[i] for i in np.argsort([g['_ig'] for g in gts], kind='mergesort')]
            dts = [dts[i] for i in np.argsort([-d['score'] for d in dts], kind='mergesort')]
            dts = [d for d in dts[:max_dets]
                   if lo / exp_filter <= np.sqrt(d['bbox'][2] * d['bbox'][3]) < hi * exp_filter]
            gt_ig = [g['_ig'] for g in gts]
            num_pos += gt_ig.count(0)
            if not dts:
                continue
            ov = _pairwise_overlap([d['bbox'] for d in dts], [g['bbox'] for g in gts], gt_ig)
            for t in iou_thrs:
                taken = np.zeros(len(gts))
                for d_i, d in enumerate(dts):
                    best, m = min(t, 1 - 1e-10), -1
                    for g_i in range(len(gts)):
                        if taken[g_i] > 0 and not gt_ig[g_i]:
                            continue
                        if m > -1 and gt_ig[m] == 0 and gt_ig[g_i] == 1:
                            break
                        if ov[d_i, g_i] < best:
                            continue
                        best, m = ov[d_i, g_i], g_i
                    if m == -1:  # the official fallback score against the ignored GTs
                        darea = d['bbox'][2] * d['bbox'][3]
                        for g_i in range(len(gts)):
                            if gt_ig[g_i]:
                                v = ov[d_i, g_i]
                                if v / (1 + v) * (1 + gts[g_i]['area'] / max(darea, 1e-300)) > 0.5:
                                    m = g_i
                    if m == -1:
                        records[t].append((d['score'], 'fp'))
                    elif gt_ig[m]:
                        records[t].append((d['score'], 'ignore'))
                    else:
                        taken[m] = 1
                        records[t].append((d['score'], 'tp'))
        for t in iou_thrs:
            if num_pos == 0:
                out[t, label] = -1.0
                continue
            recs = records[t]
            order = np.argsort([-s for s, _ in recs], kind='mergesort')
            tp = fp = 0
            recall, fppi = [], []
            for k in order:
                kind = recs[k][1]
                if kind == 'ignore':
                    continue
                tp += kind == 'tp'
                fp += kind == 'fp'
                recall.append(tp / num_pos)
                fppi.append(fp / len(img_ids))
            miss = []
            for f in FPPI_POINTS:
                k = int(np.searchsorted(fppi, f, side='right')) - 1
                miss.append(1 - (recall[k] if k >= 0 else 0.0))
            with np.errstate(divide='ignore'):
                out[t, label] = float(np.exp(np.mean(np.log(miss))))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--images', type=int, default=786)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skip-reference', action='store_true', help='time ours only')
    args = parser.parse_args()

    gt_dict, dets = make_scene(args.seed, args.images)
    n_ign = sum(bool(a['ignore'] or a['uncertain']) for a in gt_dict['annotations'])
    print(f'{args.images} images, {len(gt_dict["annotations"])} GT boxes '
          f'({n_ign} ignore/uncertain), {len(dets)} detections')
    coco_gt = person_coco(gt_dict)
    coco_dt = detections_coco(coco_gt, dets)
    fns = {
        'AP ours': lambda: evaluate_ap(coco_gt, coco_dt),
        'AP reference': lambda: reference_ap(coco_gt, coco_dt),
        'MR ours': lambda: TinyPersonMissRate(coco_gt, coco_dt).evaluate(),
        'MR reference': lambda: reference_mr(coco_gt, coco_dt),
    }
    if args.skip_reference:
        fns = {k: v for k, v in fns.items() if 'reference' not in k}
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    results = {}
    for _ in range(args.reps):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            results[name] = fn()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    for label, times in (('CPU time', cpu), ('wall time', wall)):
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f'{label} (median of {args.reps}):')
        for kind in ('AP', 'MR'):
            ours = f'  {kind} ours {med[f"{kind} ours"]:.2f} s'
            if args.skip_reference:
                print(ours)
                continue
            ref = med[f'{kind} reference']
            print(f'{ours}, reference {ref:.2f} s: {ref / med[f"{kind} ours"]:.1f}x')
        print('  runs (s):', {k: [round(x, 2) for x in v] for k, v in times.items()})
    if not args.skip_reference:
        for kind in ('AP', 'MR'):
            a, b = results[f'{kind} ours'], results[f'{kind} reference']
            print(f'{kind}: {len(a)} numbers, max |ours - reference| = '
                  f'{max(abs(a[k] - b[k]) for k in a):.1e}')


if __name__ == '__main__':
    main()
