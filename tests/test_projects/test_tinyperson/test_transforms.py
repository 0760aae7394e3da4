"""ScaleMatchResize and CropByCorner on pipeline results."""
import json

import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes

from mmlean.projects.tinyperson.transforms import CropByCorner, ScaleMatchResize


@pytest.fixture
def target_json(tmp_path):
    rng = np.random.default_rng(0)
    sizes = rng.uniform(10, 12, 500)  # every target person 10-12 px
    path = tmp_path / 'target.json'
    path.write_text(json.dumps(
        dict(annotations=[dict(bbox=[0, 0, float(s), float(s)]) for s in sizes])))
    return str(path)


def results(boxes, ignore=None, shape=(400, 600)):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return dict(img=np.zeros(shape + (3,), np.uint8), img_shape=shape, scale_factor=(1.0, 1.0),
                gt_bboxes=HorizontalBoxes(boxes), gt_bboxes_labels=np.zeros(len(boxes), np.int64),
                gt_ignore_flags=(np.zeros(len(boxes), bool) if ignore is None
                                 else np.asarray(ignore)))


def test_sm_resizes_image_and_boxes_to_the_target_size(target_json):
    np.random.seed(0)
    t = ScaleMatchResize(target_json, mode='SM', bins=10)
    out = t(results([[10, 10, 50, 50], [100, 100, 140, 140]]))  # mean size 40 px
    c = out['scale_match_factor']
    assert 10 / 40 - 1e-6 <= c <= 12 / 40 + 0.05
    assert out['img'].shape[:2] == (round(400 * c), round(600 * c))
    assert out['img_shape'] == out['img'].shape[:2]
    w = out['gt_bboxes'].widths.numpy()
    assert np.all((w >= 9) & (w <= 13))
    assert out['scale_factor'][0] == pytest.approx(out['img'].shape[1] / 600)


def test_boxes_under_two_pixels_are_dropped_and_no_box_uses_the_default_scale(target_json):
    np.random.seed(0)
    t = ScaleMatchResize(target_json, mode='SM', bins=10, default_scale=0.25)
    # mean size sqrt(160 * 3) = 22 px -> scale ~0.5: the 3 px box shrinks below 2 px
    out = t(results([[0, 0, 160, 160], [200, 200, 203, 203]]))
    assert out['scale_match_factor'] < 2 / 3
    assert len(out['gt_bboxes']) == 1 and out['gt_bboxes_labels'].shape == (1,)
    out = t(results(np.zeros((0, 4))))
    assert out['scale_match_factor'] == 0.25 and out['img'].shape[:2] == (100, 150)
    # only ignore boxes: their size is not used either
    out = t(results([[0, 0, 40, 40]], ignore=[True]))
    assert out['scale_match_factor'] == 0.25


def test_msm_needs_the_source_file_and_is_deterministic(target_json, tmp_path):
    with pytest.raises(ValueError, match='source_ann_file'):
        ScaleMatchResize(target_json, mode='MSM')
    with pytest.raises(ValueError, match="'SM' or 'MSM'"):
        ScaleMatchResize(target_json, mode='sm')
    src = tmp_path / 'src.json'
    src.write_text(json.dumps(dict(annotations=[dict(bbox=[0, 0, s, s]) for s in range(20, 120)])))
    t = ScaleMatchResize(target_json, str(src), mode='MSM', bins=10)
    a = t(results([[0, 0, 40, 40]]))['scale_match_factor']
    b = t(results([[0, 0, 40, 40]]))['scale_match_factor']
    big = t(results([[0, 0, 100, 100]]))['scale_match_factor']
    assert a == b and 40 * a < 100 * big  # bigger source objects stay bigger


def test_crop_by_corner_and_bad_corner():
    img = np.arange(50 * 80 * 3, dtype=np.uint8).reshape(50, 80, 3)
    out = CropByCorner()(dict(img=img.copy(), tile_corner=[10, 5, 40, 25], img_path='x.jpg'))
    assert np.array_equal(out['img'], img[5:25, 10:40]) and out['ori_shape'] == (20, 30)
    assert CropByCorner()(dict(img=img, tile_corner=None))['img'] is img
    with pytest.raises(ValueError, match='x.jpg.*outside'):
        CropByCorner()(dict(img=img, tile_corner=[0, 0, 100, 10], img_path='x.jpg'))
