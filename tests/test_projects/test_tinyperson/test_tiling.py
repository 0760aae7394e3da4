"""Tile windows, the 70% keep rule, corner files and the merge of tile detections."""
import numpy as np
import pytest

from mmlean.projects.tinyperson.tiling import (clip_boxes_to_tile, cut_coco, merge_tile_detections,
                                               tile_windows)


def test_windows_match_the_released_corner_files():
    # released TinyBenchmark corner files: 1280x720 with 640x512 tiles and 50 px
    # overlap -> x 0/590/640, y 0/208
    wins = tile_windows(1280, 720, (640, 512), (50, 50))
    assert sorted({w[0] for w in wins}) == [0, 590, 640]
    assert sorted({w[1] for w in wins}) == [0, 208]
    assert len(wins) == 6 and all(w[2] - w[0] == 640 and w[3] - w[1] == 512 for w in wins)


def test_windows_cover_the_image_and_small_images_are_one_tile():
    for w, h in [(1920, 1080), (700, 600), (641, 513)]:
        cover = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in tile_windows(w, h, (640, 512), (100, 100)):
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            cover[y1:y2, x1:x2] = True
        assert cover.all()
    assert tile_windows(300, 200, (640, 512), (100, 100)) == [[0, 0, 300, 200]]
    with pytest.raises(ValueError, match='overlap'):
        tile_windows(100, 100, (64, 64), (64, 0))


def test_box_is_kept_when_at_least_70_percent_is_inside():
    window = [100, 100, 200, 200]
    boxes = [[90, 120, 110, 130],    # 50% inside -> dropped
             [94, 120, 114, 130],    # 70% inside -> kept, clipped to x 100..114
             [95, 120, 115, 130],    # 75% inside -> kept
             [93, 120, 113, 130],    # 65% -> dropped
             [150, 150, 160, 170]]   # inside
    clipped, keep = clip_boxes_to_tile(boxes, window, 0.7)
    assert keep.tolist() == [1, 2, 4]
    assert clipped[0].tolist() == [0, 20, 14, 30]
    assert clipped[2].tolist() == [50, 50, 60, 70]


def test_cut_coco_keeps_originals_and_flags(gt_factory):
    gt = gt_factory([(1, 1280, 720)],
                    [(1, [600, 100, 10, 20], {}), (1, [10, 600, 30, 30], dict(ignore=True))])
    out = cut_coco(gt, (640, 512), (50, 50))
    assert out['old_images'] == gt['images'] and len(out['images']) == 6
    assert all(img['file_name'] == gt['images'][0]['file_name'] for img in out['images'])
    # the person at x 600-610 lies in the tiles starting at x 0 and x 590
    person = [a for a in out['annotations'] if not a['ignore']]
    corners = {a['image_id']: out['images'][a['image_id'] - 1]['corner'] for a in person}
    assert sorted(c[0] for c in corners.values()) == [0, 590]
    for a in person:
        c = corners[a['image_id']]
        assert (a['bbox'][0] + c[0] == pytest.approx(600)
                and a['bbox'][1] + c[1] == pytest.approx(100))
    assert all(a['ignore'] for a in out['annotations'] if a['bbox'][2] == 30)


def test_merge_shifts_tiles_and_runs_nms_only_across_tiles():
    # the same person seen by two overlapping tiles -> one detection after NMS
    a = ([0, 0, 640, 512], [[600, 100, 610, 120]], [0.9], [0])
    b = ([590, 0, 1230, 512], [[10, 100, 20, 120], [100, 100, 110, 120]], [0.8, 0.7], [0, 0])
    boxes, scores, labels = merge_tile_detections([a, b], 0.5)
    assert boxes.tolist() == [[600, 100, 610, 120], [690, 100, 700, 120]]
    assert scores.tolist() == pytest.approx([0.9, 0.7])
    # a single tile with detections: nothing suppressed, even overlapping boxes
    single = ([0, 0, 640, 512], [[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8], [0, 0])
    boxes, _, _ = merge_tile_detections([single, ([0, 100, 640, 612], [], [], [])], 0.5)
    assert len(boxes) == 2
