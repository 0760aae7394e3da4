"""TinyPerson AP / MR on hand-computed cases, and agreement with pycocotools' COCOeval."""
import contextlib
import io

import numpy as np
import pytest

from mmlean.projects.tinyperson.evaluation import (TINY_AREA_RANGES, TinyPersonMissRate,
                                                   detections_coco, evaluate_ap,
                                                   intersection_over_detection,
                                                   log_average_miss_rate, person_coco)


def det(img, box, score):
    return dict(image_id=img, bbox=list(map(float, box)), score=score)


def ap(gt_dict, dets, **kw):
    gt = person_coco(gt_dict)
    return evaluate_ap(gt, detections_coco(gt, dets), **kw)


def test_iod_is_intersection_over_detection_area():
    iod = intersection_over_detection([[46, 60, 10, 10]], [[50, 50, 40, 40], [0, 0, 5, 5]])
    assert iod.tolist()[0] == pytest.approx([0.6, 0.0])


def test_detection_inside_ignore_region_is_neither_tp_nor_fp(gt_factory):
    # one person, one ignore region; the best-scored detection lies inside the region
    gt = gt_factory([(1, 100, 100)],
                    [(1, [10, 10, 10, 20], {}), (1, [50, 50, 40, 40], dict(ignore=True))])
    dets = [det(1, [60, 60, 8, 16], 0.95), det(1, [10, 10, 10, 20], 0.9),
            det(1, [0, 80, 10, 10], 0.7)]
    r = ap(gt, dets)
    # ignored, then TP, then FP: precision 1 up to recall 1
    assert r[0.5, 'all'] == pytest.approx(1.0)
    # without the IoD rule the first detection is a FP: precision 1/2 at recall 1
    assert ap(gt, dets, use_iod_for_ignore=False)[0.5, 'all'] == pytest.approx(0.5)


def test_iod_but_not_iou_overlap_threshold_follows_the_iou_threshold(gt_factory):
    # IoD of the first detection with the region is 0.6, its IoU only 0.037
    gt = gt_factory([(1, 100, 100)],
                    [(1, [10, 10, 10, 20], {}), (1, [50, 50, 40, 40], dict(ignore=True))])
    dets = [det(1, [46, 60, 10, 10], 0.95), det(1, [10, 10, 10, 20], 0.9)]
    r = ap(gt, dets)
    assert r[0.25, 'all'] == pytest.approx(1.0)  # IoD 0.6 >= 0.25: ignored
    assert r[0.5, 'all'] == pytest.approx(1.0)   # 0.6 >= 0.5: ignored
    assert r[0.75, 'all'] == pytest.approx(0.5)  # 0.6 < 0.75: a false positive first


def test_uncertain_boxes_are_ignore_regions(gt_factory):
    gt = gt_factory([(1, 100, 100)],
                    [(1, [10, 10, 10, 20], {}), (1, [40, 40, 10, 20], dict(uncertain=True))])
    dets = [det(1, [40, 40, 10, 20], 0.95), det(1, [10, 10, 10, 20], 0.9)]
    assert ap(gt, dets)[0.5, 'all'] == pytest.approx(1.0)
    # counted as a person (ignore_uncertain=False) both detections are TPs of two positives
    assert ap(gt, dets, ignore_uncertain=False)[0.5, 'all'] == pytest.approx(1.0)
    # and an undetected uncertain box is no miss
    assert ap(gt, dets[1:])[0.5, 'all'] == pytest.approx(1.0)
    assert ap(gt, dets[1:], ignore_uncertain=False)[0.5, 'all'] == pytest.approx(0.5, abs=0.01)


def test_size_range_boundaries_are_inclusive_and_use_sqrt_area(gt_factory):
    # size exactly 8 (area 64) belongs to tiny1 [1, 8] and tiny2 [8, 12]
    gt = gt_factory([(1, 100, 100)], [(1, [10, 10, 8, 8], {})])
    r = ap(gt, [det(1, [10, 10, 8, 8], 0.9)])
    assert r[0.5, 'tiny1'] == pytest.approx(1.0) and r[0.5, 'tiny2'] == pytest.approx(1.0)
    assert r[0.5, 'tiny'] == pytest.approx(1.0) and r[0.5, 'all'] == pytest.approx(1.0)
    assert r[0.5, 'tiny3'] == -1 and r[0.5, 'small'] == -1 and r[0.5, 'reasonable'] == -1
    # size sqrt(65) > 8: not tiny1 any more
    gt = gt_factory([(1, 100, 100)], [(1, [10, 10, 5, 13], {})])
    r = ap(gt, [det(1, [10, 10, 5, 13], 0.9)])
    assert r[0.5, 'tiny1'] == -1 and r[0.5, 'tiny2'] == pytest.approx(1.0)
    # the lower bound is 1 (the code's), not the paper's 2: a 1.5 px person is tiny1
    gt = gt_factory([(1, 100, 100)], [(1, [10, 10, 1.5, 1.5], {})])
    assert ap(gt, [det(1, [10, 10, 1.5, 1.5], 0.9)])[0.5, 'tiny1'] == pytest.approx(1.0)


def test_unmatched_detection_outside_the_range_is_ignored_in_that_range(gt_factory):
    gt = gt_factory([(1, 100, 100)], [(1, [10, 10, 10, 10], {})])
    dets = [det(1, [50, 50, 40, 40], 0.95), det(1, [10, 10, 10, 10], 0.9)]  # a big FP first
    r = ap(gt, dets)
    assert r[0.5, 'tiny'] == pytest.approx(1.0)  # size 40 is not tiny: not counted there
    assert r[0.5, 'all'] == pytest.approx(0.5)


def test_only_the_200_best_detections_per_image_count(gt_factory):
    gt = gt_factory([(1, 1000, 1000)], [(1, [500, 500, 10, 10], {})])
    fps = [det(1, [i * 4 % 900, i * 4 // 900 * 20, 3, 3], 1.0 - i * 1e-3) for i in range(200)]
    r = ap(gt, fps + [det(1, [500, 500, 10, 10], 0.5)])  # the TP is the 201st
    assert r[0.5, 'all'] == pytest.approx(0.0)
    assert ap(gt, fps[:150] + [det(1, [500, 500, 10, 10], 0.5)])[0.5, 'all'] > 0


def _random_scene(rng, n_img=6):
    images, anns, dets = [], [], []
    for i in range(1, n_img + 1):
        images.append((i, 400, 300))
        for _ in range(rng.integers(3, 12)):
            s = float(np.exp(rng.uniform(np.log(2), np.log(60))))
            w, h = s / 1.4, s * 1.4
            x, y = rng.uniform(0, 400 - w), rng.uniform(0, 300 - h)
            anns.append((i, [x, y, w, h], {}))
            if rng.random() < 0.7:  # a jittered detection
                j = rng.normal(0, 0.15 * s, 4)
                dets.append(det(i, [x + j[0], y + j[1], max(0.5, w + j[2]), max(0.5, h + j[3])],
                                float(rng.random())))
        for _ in range(rng.integers(0, 6)):  # false positives
            s = float(np.exp(rng.uniform(np.log(2), np.log(60))))
            dets.append(det(i, [rng.uniform(0, 380), rng.uniform(0, 280), s, s],
                            float(rng.random())))
    return images, anns, dets


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_equals_pycocotools_cocoeval_without_ignore_regions(gt_factory, seed):
    from pycocotools.cocoeval import COCOeval

    # With no ignore regions the only non-COCO rule left is the IoD fallback against GTs that are
    # ignored for being outside the size range, so: all ranges equal COCOeval with the fallback off,
    # and 'all' (where no GT is out of range) equals it with the fallback on.
    rng = np.random.default_rng(seed)
    images, anns, dets = _random_scene(rng)
    gt_dict = gt_factory(images, anns)
    ours = ap(gt_dict, dets, use_iod_for_ignore=False)
    with_iod = ap(gt_dict, dets)
    gt = person_coco(gt_dict)
    with contextlib.redirect_stdout(io.StringIO()):
        ref = COCOeval(gt, gt.loadRes([dict(d, category_id=1) for d in dets]), 'bbox')
        ref.params.iouThrs = np.array([0.25, 0.5, 0.75])
        ref.params.maxDets = [200]
        ref.params.areaRng = [[lo ** 2, hi ** 2] for _, lo, hi in TINY_AREA_RANGES]
        ref.params.areaRngLbl = [n for n, _, _ in TINY_AREA_RANGES]
        ref.evaluate()
        ref.accumulate()
    for t_i, t in enumerate((0.25, 0.5, 0.75)):
        for a_i, (label, _, _) in enumerate(TINY_AREA_RANGES):
            p = ref.eval['precision'][t_i, :, 0, a_i, 0]
            expected = float(p[p > -1].mean()) if (p > -1).any() else -1.0
            assert ours[t, label] == pytest.approx(expected, abs=1e-12), (t, label)
            if label == 'all':
                assert with_iod[t, label] == pytest.approx(expected, abs=1e-12), t
    assert (0 < ours[0.5, 'all'] < 1 and 0 < ours[0.5, 'tiny1'] < 1
            and 0 < ours[0.5, 'reasonable'] < 1)


def _mr(gt_dict, dets, **kw):
    gt = person_coco(gt_dict)
    return TinyPersonMissRate(gt, detections_coco(gt, dets), **kw).evaluate()


def test_log_average_miss_rate_by_hand(gt_factory):
    # image 1: two persons and a 40x40 ignore region; image 2: two persons, one never found
    gt = gt_factory([(1, 200, 200), (2, 200, 200)],
                    [(1, [10, 10, 10, 10], {}), (1, [50, 10, 10, 10], {}),
                     (1, [100, 100, 40, 40], dict(ignore=True)),
                     (2, [10, 10, 10, 10], {}), (2, [150, 150, 10, 10], {})])
    dets = [det(1, [110, 110, 10, 10], 0.97),   # inside the ignore region: not a FP
            det(2, [0, 100, 100, 100], 0.99),   # size 100: outside tiny * 1.25, pre-filtered
            det(1, [10, 10, 10, 10], 0.9),      # TP
            det(2, [60, 60, 10, 10], 0.85),     # FP
            det(1, [50, 10, 10, 10], 0.8),      # TP
            det(2, [10, 10, 10, 10], 0.3),      # TP
            det(2, [80, 20, 10, 10], 0.2)]      # FP
    # sorted: TP FP TP TP FP; FPPI = FP / 2 images = 0 .5 .5 .5 1; recall = 1/4 1/4 2/4 3/4 3/4
    # 7 reference points below FPPI 0.5 read recall 1/4, the points 0.56 and 1.0 read 3/4
    expected = np.exp((7 * np.log(0.75) + 2 * np.log(0.25)) / 9)
    r = _mr(gt, dets)
    assert r[0.5, 'tiny'] == pytest.approx(expected)
    assert r[0.5, 'tiny2'] == pytest.approx(expected)   # every person is 10 px
    assert r[0.5, 'tiny1'] == -1                          # no person in [2, 8]
    # in 'all' the 100 px detection is a false positive ranked first
    assert r[0.5, 'all'] > r[0.5, 'tiny']
    assert log_average_miss_rate([0.25] * 7 + [0.75] * 2) == pytest.approx(expected)


def test_miss_rate_iod_fallback_reproduces_the_official_score(gt_factory):
    # the detection overlaps the ignore region by IoD 0.4 (< 0.5, so no match in the main loop);
    # the official fallback v/(1+v)*(1+G/D) = 0.4/1.4*17 > 0.5 ignores it anyway
    # (a second person is never found, so recall stays below 1)
    gt = gt_factory([(1, 200, 200)], [(1, [10, 10, 10, 10], {}), (1, [150, 150, 10, 10], {}),
                                      (1, [100, 100, 40, 40], dict(ignore=True))])
    dets = [det(1, [94, 110, 10, 10], 0.95), det(1, [10, 10, 10, 10], 0.9)]
    # ignored, then TP: recall 1/2 everywhere
    assert _mr(gt, dets)[0.5, 'tiny'] == pytest.approx(0.5)
    # AP at IoU 0.5 uses the plain IoD against the IoU threshold: there it is a false positive
    assert ap(gt, dets)[0.5, 'tiny'] == pytest.approx(0.5 * 0.5, abs=0.01)
    # without the fallback: FP first (FPPI 1), so recall 0 at the 8 points below FPPI 1
    assert (_mr(gt, dets, use_iod_for_ignore=False)[0.5, 'tiny']
            == pytest.approx(np.exp(np.log(0.5) / 9)))


def _iou_iod(d, g):
    """(IoU, IoD) of two [x, y, w, h] boxes, computed plainly."""
    ix = max(0.0, min(d[0] + d[2], g[0] + g[2]) - max(d[0], g[0]))
    iy = max(0.0, min(d[1] + d[3], g[1] + g[3]) - max(d[1], g[1]))
    inter = ix * iy
    return inter / (d[2] * d[3] + g[2] * g[3] - inter), inter / (d[2] * d[3])


def _image_gts(gt_dict, img_id, outside):
    """The image's GTs (regular before ignored, stable), their ignore flags, the positive count."""
    gts = [a for a in gt_dict['annotations'] if a['image_id'] == img_id]
    ign = [bool(a['ignore'] or a['uncertain'] or outside(a)) for a in gts]
    order = sorted(range(len(gts)), key=lambda i: ign[i])
    return [gts[i] for i in order], [ign[i] for i in order], ign.count(False)


def _add_ignore_regions(rng, images, anns, dets, per_image):
    """Ignore regions, each with 3 detections straddling its right edge (IoD 0.1 .. 1)."""
    for img_id, _, _ in images:
        for _ in range(per_image):
            x, y = rng.uniform(0, 300), rng.uniform(0, 200)
            w, h = rng.uniform(20, 90), rng.uniform(20, 90)
            anns.append((img_id, [x, y, w, h], dict(ignore=True)))
            for _ in range(3):
                box = [x + w - 6 * rng.uniform(0.1, 1.2), y + rng.uniform(0, h - 8), 6, 8]
                dets.append(det(img_id, box, float(rng.random())))


def _reference_ap(gt_dict, dets, iou_thr, lo, hi, max_dets=200):
    """The protocol written out plainly (official TinyBenchmark cocoeval.py), without
    pycocotools."""
    iou = _iou_iod
    records, positives = [], 0
    for img in gt_dict['images']:
        gts, ign, n_pos = _image_gts(gt_dict, img['id'],
                                     lambda a: not lo ** 2 <= a['area'] <= hi ** 2)
        positives += n_pos
        ds = sorted([d for d in dets if d['image_id'] == img['id']],
                    key=lambda d: -d['score'])[:max_dets]
        taken = [False] * len(gts)
        for d in ds:
            best, m = min(iou_thr, 1 - 1e-10), -1
            for j, g in enumerate(gts):
                if taken[j] or (m >= 0 and not ign[m] and ign[j]):
                    continue
                v = iou(d['bbox'], g['bbox'])[0]
                if v >= best:
                    best, m = v, j
            if m < 0:  # IoD fallback against every ignored GT
                iods = [(iou(d['bbox'], g['bbox'])[1], j) for j, g in enumerate(gts) if ign[j]]
                if iods:
                    v, j = max(iods, key=lambda x: (x[0], -x[1]))
                    if v >= min(iou_thr, 1 - 1e-10):
                        m = j
            area = d['bbox'][2] * d['bbox'][3]
            if m >= 0:
                taken[m] = True
                records.append((d['score'], 'ignore' if ign[m] else 'tp'))
            elif not lo ** 2 <= area <= hi ** 2:
                records.append((d['score'], 'ignore'))
            else:
                records.append((d['score'], 'fp'))
    if positives == 0:
        return -1.0
    records = [r for r in sorted(records, key=lambda r: -r[0]) if r[1] != 'ignore']
    tp = np.cumsum([r[1] == 'tp' for r in records])
    fp = np.cumsum([r[1] == 'fp' for r in records])
    recall = tp / positives
    precision = tp / np.maximum(tp + fp, np.finfo(float).eps)
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
    points = []
    for r in np.linspace(0, 1, 101):
        k = np.searchsorted(recall, r, side='left')
        points.append(envelope[k] if k < len(envelope) else 0.0)
    return float(np.mean(points))


@pytest.mark.parametrize('seed', [3, 4])
def test_equals_a_plain_reference_with_ignore_regions_and_uncertain_boxes(gt_factory, seed):
    rng = np.random.default_rng(seed)
    images, anns, dets = _random_scene(rng, n_img=5)
    _add_ignore_regions(rng, images, anns, dets, per_image=2)
    for img_id, _, _ in images:  # uncertain boxes with detections on them
        x, y = rng.uniform(0, 380), rng.uniform(0, 280)
        anns.append((img_id, [x, y, 5, 9], dict(uncertain=True)))
        dets.append(det(img_id, [x + 0.5, y, 5, 9], float(rng.random())))
    gt_dict = gt_factory(images, anns)
    ours = ap(gt_dict, dets)
    for t in (0.25, 0.5, 0.75):
        for label, lo, hi in TINY_AREA_RANGES:
            expected = _reference_ap(gt_dict, dets, t, lo, hi)
            assert ours[t, label] == pytest.approx(expected, abs=1e-9), (t, label)


def _reference_mr(gt_dict, dets, iou_thr, lo, hi, max_dets=1000):
    """MR written out plainly (official TinyBenchmark cityperson_eval.py and
    eval_MR_multisetup.py), including the official fallback score."""
    overlaps = _iou_iod
    records, positives = [], 0
    for img in gt_dict['images']:
        gts, ign, n_pos = _image_gts(gt_dict, img['id'],
                                     lambda a: not lo <= np.sqrt(a['area']) <= hi)
        positives += n_pos
        ds = sorted([d for d in dets if d['image_id'] == img['id']],
                    key=lambda d: -d['score'])[:max_dets]
        ds = [d for d in ds if lo / 1.25 <= np.sqrt(d['bbox'][2] * d['bbox'][3]) < hi * 1.25]
        taken = [False] * len(gts)
        for d in ds:
            kind = None
            regular = [(overlaps(d['bbox'], g['bbox'])[0], j) for j, g in enumerate(gts)
                       if not ign[j] and not taken[j]]
            regular = [(v, j) for v, j in regular if v >= iou_thr]
            if regular:
                j = max(regular, key=lambda x: (x[0], x[1]))[1]
                taken[j], kind = True, 'tp'
            elif any(overlaps(d['bbox'], g['bbox'])[1] >= iou_thr
                     for j, g in enumerate(gts) if ign[j]):
                kind = 'ignore'
            else:
                for j, g in enumerate(gts):
                    if ign[j]:
                        v = overlaps(d['bbox'], g['bbox'])[1]
                        if v / (1 + v) * (1 + g['area'] / (d['bbox'][2] * d['bbox'][3])) > 0.5:
                            kind = 'ignore'
            records.append((d['score'], kind or 'fp'))
    if positives == 0:
        return -1.0
    records = [r for r in sorted(records, key=lambda r: -r[0]) if r[1] != 'ignore']
    miss = []
    for f in np.exp(np.linspace(np.log(0.01), 0.0, 9)):
        tp = fp = 0
        best = 0.0
        for _, kind in records:
            fp += kind == 'fp'
            tp += kind == 'tp'
            if fp / len(gt_dict['images']) > f:
                break
            best = tp / positives
        miss.append(1 - best)
    return float(np.exp(np.mean(np.log(np.maximum(miss, 1e-300))))) if min(miss) > 0 else 0.0


@pytest.mark.parametrize('seed', [5, 6])
def test_miss_rate_equals_a_plain_reference(gt_factory, seed):
    from mmlean.projects.tinyperson.evaluation import MR_SIZE_RANGES
    rng = np.random.default_rng(seed)
    images, anns, dets = _random_scene(rng, n_img=4)
    _add_ignore_regions(rng, images, anns, dets, per_image=1)
    # duplicates: a person may be matched only once
    dets += [det(d['image_id'], [d['bbox'][0] + 0.3, d['bbox'][1], d['bbox'][2], d['bbox'][3]],
                 d['score'] * 0.9)
             for d in dets[:12]]
    gt_dict = gt_factory(images, anns)
    ours = _mr(gt_dict, dets)
    for t in (0.25, 0.5, 0.75):
        for label, lo, hi in MR_SIZE_RANGES:
            expected = _reference_mr(gt_dict, dets, t, lo, hi)
            assert ours[t, label] == pytest.approx(expected, abs=1e-9), (t, label)


def _plain_greedy_match(ious, gt_ignore, crowd, thrs, iods):
    """pycocotools' evaluateImg loop (GT by GT, stop at the first ignored GT once a regular one
    matched) plus the IoD fallback of TinyBenchmark's cocoeval.py, element by element."""
    D, G = len(ious), len(gt_ignore)
    n_ign = sum(gt_ignore)
    dt_match, gt_matched = np.zeros((len(thrs), D)), np.zeros((len(thrs), G), bool)
    dt_ignore = np.zeros((len(thrs), D), bool)
    for t_i, t in enumerate(thrs):
        for d in range(D):
            best, m = min(t, 1 - 1e-10), -1
            for g in range(G):
                if gt_matched[t_i, g] and not crowd[g]:
                    continue
                if m > -1 and not gt_ignore[m] and gt_ignore[g]:
                    break
                if ious[d][g] < best:
                    continue
                best, m = ious[d][g], g
            if m == -1 and iods is not None and n_ign:
                j = 0
                for k in range(1, n_ign):
                    if iods[d][k] > iods[d][j]:
                        j = k
                if iods[d][j] >= min(t, 1 - 1e-10):
                    m = G - n_ign + j
            if m == -1:
                continue
            dt_match[t_i, d], gt_matched[t_i, m] = m + 1, True
            dt_ignore[t_i, d] = gt_ignore[m]
    return dt_match, gt_matched, dt_ignore


def test_greedy_match_equals_the_plain_loop_on_random_cases():
    from mmlean.projects.tinyperson.evaluation.ap import greedy_match

    rng = np.random.default_rng(7)
    # few distinct values: equal IoUs / IoDs and values exactly at a threshold are common
    levels = np.array([0, 0, 0, 0.1, 0.25, 0.3, 0.5, 0.5, 0.6, 0.75, 0.9, 1.0])
    for case in range(300):
        D, G = int(rng.integers(0, 14)), int(rng.integers(0, 10))
        ious = rng.choice(levels, size=(D, G)) * (rng.random((D, G)) < 0.5)
        iods = np.maximum(ious, rng.choice(levels, size=(D, G))) if case % 5 else None
        gt_ignore = rng.random((3, G)) < [[0.0], [0.4], [0.8]]  # three "area ranges"
        crowd = rng.random(G) < (0.3 if case % 3 == 0 else 0.0)
        thrs = [(0.25, 0.5, 0.75), (0.5,), (0.75, 0.25), (1.0, 0.5)][case % 4]
        got = greedy_match(ious, gt_ignore, crowd, thrs, iods)
        assert got.shape == (3, len(thrs), D)
        for a in range(3):
            order = np.argsort(gt_ignore[a], kind='stable')  # regular GTs first, as pycocotools
            ign = gt_ignore[a][order]
            dt_match, _, _ = _plain_greedy_match(
                ious[:, order].tolist(), ign.tolist(), crowd[order].tolist(), thrs,
                None if iods is None else iods[:, order][:, ign].tolist())
            index_plus_1 = np.concatenate([[0], order + 1])  # sorted position + 1 -> index + 1
            expected = index_plus_1[dt_match.astype(int)]
            assert (got[a] == expected).all(), (case, a)


def test_evaluate_img_equals_a_plain_loop_with_crowds_ties_and_max_dets(gt_factory):
    from mmlean.projects.tinyperson.evaluation import TinyPersonCOCOeval

    class PlainLoop(TinyPersonCOCOeval):
        """Every image and range prepared from scratch (pycocotools' IoUs, whose rows follow
        the same stable sort by score), matched by the plain loop."""

        def evaluateImg(self, imgId, catId, aRng, maxDet):  # noqa: N802,N803
            gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
            if not gt and not dt:
                return None
            ign = [int(g['ignore'] or not aRng[0] <= g['area'] <= aRng[1]) for g in gt]
            g_ord = sorted(range(len(gt)), key=lambda i: ign[i])
            d_ord = sorted(range(len(dt)), key=lambda i: -dt[i]['score'])[:maxDet]
            gt, ign, dt = [gt[i] for i in g_ord], [ign[i] for i in g_ord], [dt[i] for i in d_ord]
            ious = self.ious[imgId, catId]
            ious = (np.asarray(ious)[:len(dt)][:, g_ord].tolist() if gt and dt
                    else [[] for _ in dt])
            iods = [[_iou_iod(d['bbox'], g['bbox'])[1] for g, i in zip(gt, ign) if i]
                    for d in dt]
            dtm, gtm, dti = _plain_greedy_match(ious, ign, [bool(g['iscrowd']) for g in gt],
                                                list(self.params.iouThrs),
                                                iods if self.use_iod_for_ignore else None)
            outside = np.array([not aRng[0] <= d['area'] <= aRng[1] for d in dt], bool)
            return dict(dtIds=[d['id'] for d in dt], gtIds=[g['id'] for g in gt],
                        dtMatches=dtm, gtMatches=gtm.astype(float), gtIgnore=np.array(ign),
                        dtIgnore=dti | ((dtm == 0) & outside[None, :]),
                        dtScores=[d['score'] for d in dt])

    rng = np.random.default_rng(11)
    images, anns, dets = _random_scene(rng, n_img=6)
    _add_ignore_regions(rng, images, anns, dets, per_image=2)
    for d in dets[::3]:  # duplicates with the same score
        dets.append(det(d['image_id'], [d['bbox'][0] + 0.2, *d['bbox'][1:]], d['score']))
    for d in dets:  # score ties everywhere
        d['score'] = round(d['score'], 1)
    gt_dict = gt_factory(images, anns)
    for a in gt_dict['annotations'][::9]:  # crowd boxes (IoU against them is the IoD)
        a['iscrowd'] = 1
    gt = person_coco(gt_dict)
    dt = detections_coco(gt, dets)
    for kw in (dict(), dict(max_dets=8), dict(use_iod_for_ignore=False)):
        evals = []
        for cls in (TinyPersonCOCOeval, PlainLoop):
            ev = cls(gt, dt, **kw)
            with contextlib.redirect_stdout(io.StringIO()):
                ev.evaluate()
            evals.append(ev.evalImgs)
        assert len(evals[0]) == len(evals[1])
        n_ignored_hits = 0
        for a, b in zip(*evals):
            assert (a is None) == (b is None)
            if a is None:
                continue
            assert a['dtIds'] == b['dtIds'] and a['gtIds'] == b['gtIds'], kw
            assert a['dtScores'] == b['dtScores']
            for k in ('dtMatches', 'gtMatches', 'gtIgnore', 'dtIgnore'):
                assert np.array_equal(a[k], b[k]), (kw, k)
            n_ignored_hits += int((a['dtIgnore'] & (a['dtMatches'] > 0)).sum())
        assert n_ignored_hits > 0
