"""Cut-and-merge for TinyPerson (official TinyBenchmark code,
MyPackage/tools/pub/split_and_merge_image.py).

* :func:`tile_windows`: fixed-size tiles with overlap; the last tile of a row
  or column is moved back inside the image (sahi's ``get_slice_bboxes``, the
  helper mmdet's own large-image demo uses).
* :func:`clip_boxes_to_tile`: a box stays in a tile if at least
  ``keep_ratio`` (0.7) of its area is inside; it is clipped and shifted.
* :func:`cut_coco`: a whole annotation file into a "corner" file (each tile
  an ``images`` entry with the original ``file_name`` and ``corner``; the
  original list kept as ``old_images``), as TinyBenchmark's released files.
* :func:`merge_tile_detections`: detections of the tiles of one image shifted
  back and merged with NMS (IoU 0.5) when more than one tile has detections.
"""
import copy

import numpy as np


def _overlap_ratio(overlap, size):
    ratio = overlap / size
    if int(ratio * size) != overlap:  # float rounding: sahi takes int(ratio * size)
        ratio = (overlap + 1e-6) / size
    return ratio


def tile_windows(width, height, tile_size=(640, 512), overlap=(50, 50)):
    """``[x1, y1, x2, y2]`` windows covering a ``width`` x ``height`` image.

    ``tile_size`` and ``overlap`` are (w, h). Tiles larger than the image are
    cut to it.
    """
    from sahi.slicing import get_slice_bboxes
    tw, th = (int(v) for v in tile_size)
    ow, oh = (int(v) for v in overlap)
    if tw <= 0 or th <= 0 or not 0 <= ow < tw or not 0 <= oh < th:
        raise ValueError(f'tile_size {tile_size} must be positive and overlap {overlap} '
                         'non-negative and smaller than it')
    return [list(map(int, w)) for w in get_slice_bboxes(
        image_height=int(height), image_width=int(width), slice_height=th, slice_width=tw,
        auto_slice_resolution=False, overlap_height_ratio=_overlap_ratio(oh, th),
        overlap_width_ratio=_overlap_ratio(ow, tw))]


def clip_boxes_to_tile(boxes_xyxy, window, keep_ratio=0.7):
    """Boxes kept in ``window`` (clipped, in tile coordinates) and their indices."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    x1, y1, x2, y2 = window
    clipped = np.stack([boxes[:, 0].clip(x1, x2), boxes[:, 1].clip(y1, y2),
                        boxes[:, 2].clip(x1, x2), boxes[:, 3].clip(y1, y2)], axis=1)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = np.flatnonzero((area > 0) & (inside >= keep_ratio * area))
    return clipped[keep] - np.array([x1, y1, x1, y1], dtype=np.float64), keep


def cut_coco(coco, tile_size=(640, 512), overlap=(50, 50), keep_ratio=0.7):
    """A TinyPerson json dict -> its corner (tile) version (a new dict)."""
    anns_by_img = {}
    for ann in coco['annotations']:
        anns_by_img.setdefault(ann['image_id'], []).append(ann)
    images, annotations = [], []
    for img in coco['images']:
        anns = anns_by_img.get(img['id'], [])
        xyxy = [[a['bbox'][0], a['bbox'][1],
                 a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]]
                for a in anns]
        for window in tile_windows(img['width'], img['height'], tile_size, overlap):
            tile_id = len(images) + 1
            images.append(dict(img, id=tile_id, width=window[2] - window[0],
                               height=window[3] - window[1], corner=list(window)))
            boxes, keep = clip_boxes_to_tile(xyxy, window, keep_ratio)
            for box, k in zip(boxes, keep):
                w, h = float(box[2] - box[0]), float(box[3] - box[1])
                x, y = float(box[0]), float(box[1])
                new = dict(anns[k], id=len(annotations) + 1, image_id=tile_id, bbox=[x, y, w, h],
                           area=w * h,
                           segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]])
                annotations.append(new)
    out = {k: copy.deepcopy(v) for k, v in coco.items() if k not in ('images', 'annotations')}
    out.update(images=images, annotations=annotations, old_images=copy.deepcopy(coco['images']))
    return out


def merge_tile_detections(tiles, nms_thr=0.5):
    """Merge per-tile detections of one image.

    Args:
        tiles: list of ``(corner, bboxes, scores, labels)``; ``corner`` is the
            tile's ``[x1, y1, x2, y2]`` in the image (or None for a whole
            image), ``bboxes`` are xyxy in tile coordinates.
        nms_thr: IoU of the class-wise NMS run over the union; it only runs
            when more than one tile has detections (as the official merge).

    Returns:
        ``(bboxes, scores, labels)`` in image coordinates, best score first.
    """
    import torch
    from mmcv.ops import batched_nms
    parts, used = [], 0
    for corner, bboxes, scores, labels in tiles:
        bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
        if len(bboxes) == 0:
            continue
        used += 1
        if corner is not None:
            bboxes = bboxes + np.array([corner[0], corner[1]] * 2, dtype=np.float32)
        parts.append((bboxes, np.asarray(scores, dtype=np.float32).reshape(-1),
                      np.asarray(labels, dtype=np.int64).reshape(-1)))
    if not parts:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    bboxes, scores, labels = (np.concatenate(p) for p in zip(*parts))
    if used > 1 and nms_thr < 1:
        _, keep = batched_nms(torch.from_numpy(bboxes), torch.from_numpy(scores),
                              torch.from_numpy(labels), dict(type='nms', iou_threshold=nms_thr))
        keep = keep.numpy()
    else:
        keep = np.argsort(-scores, kind='mergesort')
    return bboxes[keep], scores[keep], labels[keep]
