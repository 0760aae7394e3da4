"""``TinyPersonMetric``: the TinyPerson evaluation protocol as an mmdet metric."""
import contextlib
import io
import json
import os.path as osp
import time

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..annotations import load_tinyperson_json
from ..tiling import merge_tile_detections
from .ap import TINY_AREA_RANGES, TINY_IOU_THRS, evaluate_ap
from .miss_rate import MR_SIZE_RANGES, TinyPersonMissRate

PERSON_CAT_ID = 1


def _coco(dataset):
    from pycocotools.coco import COCO
    coco = COCO()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):  # createIndex prints
        coco.createIndex()
    return coco


def person_coco(tinyperson):
    """A pycocotools COCO of a TinyPerson dict with all categories merged into person (id 1)."""
    annotations = [dict(a, category_id=PERSON_CAT_ID,
                        area=a.get('area', a['bbox'][2] * a['bbox'][3]),
                        iscrowd=int(a.get('iscrowd', 0)))
                   for a in tinyperson['annotations']]
    return _coco(dict(images=tinyperson['images'], annotations=annotations,
                      categories=[dict(id=PERSON_CAT_ID, name='person')]))


def detections_coco(coco_gt, detections):
    """A COCO of detection dicts ``{image_id, bbox: xywh, score}`` (like ``loadRes``)."""
    anns = []
    for i, d in enumerate(detections):
        x, y, w, h = (float(v) for v in d['bbox'])
        anns.append(dict(id=i + 1, image_id=d['image_id'], category_id=PERSON_CAT_ID,
                         bbox=[x, y, w, h], area=w * h, score=float(d['score']), iscrowd=0))
    return _coco(dict(images=coco_gt.dataset['images'], annotations=anns,
                      categories=coco_gt.dataset['categories']))


def metric_name(kind, iou_thr, label):
    return f'{kind}{int(round(iou_thr * 100))}_{label}'


@METRICS.register_module()
class TinyPersonMetric(BaseMetric):
    """TinyPerson AP and MR (official TinyBenchmark code, evaluate_tiny.py), on whole images.

    Predictions of tiles (``tile_corner`` and ``ori_img_id`` in the data
    sample's metainfo, from ``TinyPersonDataset``) are shifted back to their
    image and merged with NMS (``merge_nms_thr``) when more than one tile of
    an image has detections; then they are scored against ``ann_file``, the
    whole-image annotation file (e.g. ``tiny_set_test_all.json``).

    * AP at IoU 0.25/0.5/0.75 for all, tiny, tiny1-3, small, reasonable,
      ``max_dets`` (200) per image, ignore/uncertain/crowd boxes as ignore
      regions with the IoD rule (:class:`TinyPersonCOCOeval`);
    * MR (log-average miss rate) at the same IoUs for tiny1-3, tiny, small,
      all (:class:`TinyPersonMissRate`), ``mr_max_dets`` (1000) per image.

    Keys use the papers' names and percentages: ``tiny/AP50_tiny``,
    ``tiny/AP25_tiny``, ``tiny/MR50_tiny``, ... (-1 where a range has no
    ground truth). ``outfile_prefix`` also writes the merged detections as a
    COCO results json (``<prefix>.bbox.json``), the input of the official
    ``evaluate_tiny.py``.
    """

    default_prefix = 'tiny'

    def __init__(self, ann_file, iou_thrs=TINY_IOU_THRS, max_dets=200, mr=True, mr_max_dets=1000,
                 ignore_uncertain=True, use_iod_for_ignore=True, merge_nms_thr=0.5,
                 outfile_prefix=None, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if ann_file is None:
            raise ValueError('TinyPersonMetric: ann_file (the whole-image annotation json, e.g. '
                             'tiny_set_test_all.json) is required')
        self.ann_file = ann_file
        self.iou_thrs = tuple(float(t) for t in iou_thrs)
        self.max_dets, self.mr, self.mr_max_dets = int(max_dets), mr, int(mr_max_dets)
        self.ignore_uncertain, self.use_iod_for_ignore = ignore_uncertain, use_iod_for_ignore
        self.merge_nms_thr, self.outfile_prefix = merge_nms_thr, outfile_prefix

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            pred = sample['pred_instances']
            img_id = sample.get('ori_img_id', None)
            self.results.append(dict(
                img_id=sample['img_id'] if img_id is None else img_id,
                corner=sample.get('tile_corner', None),
                bboxes=pred['bboxes'].detach().cpu().numpy(),
                scores=pred['scores'].detach().cpu().numpy(),
                labels=pred['labels'].detach().cpu().numpy()))

    def merge(self, results):
        """Per-image detections ``[{image_id, bbox (xywh), score, category_id}]``."""
        by_image = {}
        for r in results:
            by_image.setdefault(r['img_id'], []).append(
                (r['corner'], r['bboxes'], r['scores'], r['labels']))
        dets = []
        for img_id, tiles in by_image.items():
            bboxes, scores, _ = merge_tile_detections(tiles, self.merge_nms_thr)
            for (x1, y1, x2, y2), s in zip(bboxes.tolist(), scores.tolist()):
                dets.append(dict(image_id=img_id, category_id=PERSON_CAT_ID,
                                 bbox=[x1, y1, x2 - x1, y2 - y1], score=s))
        return dets

    def compute_metrics(self, results):
        logger = MMLogger.get_current_instance()
        gt = person_coco(load_tinyperson_json(self.ann_file))
        dets = self.merge(results)
        unknown = {d['image_id'] for d in dets} - set(gt.getImgIds())
        if unknown:
            raise ValueError(f'TinyPersonMetric: predictions for image ids {sorted(unknown)[:5]} '
                             f'that are not in {self.ann_file}; ann_file must be the whole-image '
                             'json (not a tile/corner file)')
        if self.outfile_prefix:
            path = f'{self.outfile_prefix}.bbox.json'
            with open(path, 'w') as f:
                json.dump(dets, f)
            logger.info(f'TinyPerson merged detections written to {osp.abspath(path)}')
        dt = detections_coco(gt, dets)
        out = {}
        logger.info(f'TinyPerson evaluation: {len(dets)} merged detections on '
                    f'{len(gt.getImgIds())} images')
        tic = time.time()
        ap = evaluate_ap(gt, dt, iou_thrs=self.iou_thrs, max_dets=self.max_dets,
                         ignore_uncertain=self.ignore_uncertain,
                         use_iod_for_ignore=self.use_iod_for_ignore)
        for (t, label), v in ap.items():
            out[metric_name('AP', t, label)] = round(100 * v, 3) if v >= 0 else -1.0
        logger.info(f'TinyPerson AP done ({time.time() - tic:.1f} s)')
        if self.mr:
            tic = time.time()
            mr = TinyPersonMissRate(gt, dt, iou_thrs=self.iou_thrs, max_dets=self.mr_max_dets,
                                    ignore_uncertain=self.ignore_uncertain,
                                    use_iod_for_ignore=self.use_iod_for_ignore).evaluate()
            for (t, label), v in mr.items():
                out[metric_name('MR', t, label)] = round(100 * v, 3) if v >= 0 else -1.0
            logger.info(f'TinyPerson MR done ({time.time() - tic:.1f} s)')
        logger.info('\n' + self.table(out))
        return out

    def table(self, out):
        rows = []
        labels = [a[0] for a in TINY_AREA_RANGES]
        rows.append('AP   ' + ' '.join(f'{lbl:>10}' for lbl in labels))
        for t in self.iou_thrs:
            rows.append(f'@{t:<4g}'
                        + ' '.join(f'{out[metric_name("AP", t, lbl)]:>10.2f}' for lbl in labels))
        if self.mr:
            labels = [a[0] for a in MR_SIZE_RANGES]
            rows.append('MR   ' + ' '.join(f'{lbl:>10}' for lbl in labels))
            for t in self.iou_thrs:
                rows.append(f'@{t:<4g}' + ' '.join(f'{out[metric_name("MR", t, lbl)]:>10.2f}'
                                                   for lbl in labels))
        return '\n'.join(rows)
