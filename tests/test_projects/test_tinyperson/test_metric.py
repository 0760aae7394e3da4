"""TinyPersonMetric merges tile predictions back to whole images and reports the papers' keys."""
import json

import pytest
import torch

from mmlean.projects.tinyperson.evaluation import (TinyPersonMetric, detections_coco, evaluate_ap,
                                                   person_coco)


def sample(img_id, corner, boxes, scores, ori_img_id=None):
    return dict(img_id=img_id, tile_corner=corner, ori_img_id=ori_img_id,
                pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                    scores=torch.tensor(scores, dtype=torch.float32),
                                    labels=torch.zeros(len(scores), dtype=torch.long)))


def test_tiles_are_merged_and_scored_on_the_whole_image(tmp_path, gt_factory):
    gt = gt_factory([(1, 1280, 720)], [(1, [600, 100, 10, 20], {}),
                                       (1, [1000, 600, 8, 16], dict(cat=2)),
                                       (1, [100, 400, 60, 40], dict(ignore=True))])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    metric = TinyPersonMetric(ann_file=str(path), outfile_prefix=str(tmp_path / 'res'))
    # the person at x 600 is seen by the tiles at x 0 and x 590 (a duplicate NMS removes);
    # the tile at (640, 208) finds the second person; one detection lies in the ignore region
    metric.process({}, [
        sample(11, [0, 0, 640, 512], [[600, 100, 610, 120]], [0.9], ori_img_id=1),
        sample(12, [590, 0, 1230, 512], [[10, 100, 20, 120]], [0.8], ori_img_id=1),
        sample(13, [640, 208, 1280, 720], [[360, 392, 368, 408]], [0.7], ori_img_id=1),
        sample(14, [0, 208, 640, 720], [[110, 200, 120, 220]], [0.95], ori_img_id=1)])
    out = metric.compute_metrics(metric.results)
    merged = json.loads((tmp_path / 'res.bbox.json').read_text())
    assert len(merged) == 3 and {d['image_id'] for d in merged} == {1}
    assert out['AP50_tiny'] == pytest.approx(100.0) and out['AP25_tiny'] == pytest.approx(100.0)
    assert out['MR50_tiny'] == pytest.approx(0.0)
    assert out['AP50_reasonable'] == -1  # no person of 32 px or more
    expected_keys = {f'AP{t}_{a}' for t in (25, 50, 75)
                     for a in ('all', 'tiny', 'tiny1', 'tiny2', 'tiny3', 'small', 'reasonable')}
    expected_keys |= {f'MR{t}_{a}' for t in (25, 50, 75)
                      for a in ('tiny1', 'tiny2', 'tiny3', 'tiny', 'small', 'all')}
    assert set(out) == expected_keys
    # the same as scoring the merged detections directly
    coco = person_coco(gt)
    direct = evaluate_ap(coco, detections_coco(coco, merged))
    assert out['AP50_all'] == pytest.approx(100 * direct[0.5, 'all'], abs=1e-3)


def test_whole_images_without_corner_and_wrong_ann_file(tmp_path, gt_factory):
    gt = gt_factory([(1, 200, 200)], [(1, [10, 10, 10, 20], {})])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    metric = TinyPersonMetric(ann_file=str(path), mr=False)
    metric.process({}, [sample(1, None, [[10, 10, 20, 30]], [0.9])])
    out = metric.compute_metrics(metric.results)
    assert out['AP50_all'] == pytest.approx(100.0) and not any(k.startswith('MR') for k in out)
    metric.results = [dict(img_id=7, corner=None, bboxes=[[0, 0, 1, 1]], scores=[0.5], labels=[0])]
    with pytest.raises(ValueError, match='whole-image json'):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='ann_file'):
        TinyPersonMetric(ann_file=None)
