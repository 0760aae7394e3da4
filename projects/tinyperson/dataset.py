"""TinyPerson in MMDetection 3.x: the dataset (Yu et al., "Scale Match for Tiny Person
Detection", WACV 2020, arXiv 1912.10664; json files of the official TinyBenchmark release)."""
import os.path as osp

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path

from .annotations import is_ignore_region, load_tinyperson_json
from .tiling import clip_boxes_to_tile, tile_windows


@DATASETS.register_module()
class TinyPersonDataset(CocoDataset):
    """TinyPerson (or any file in its json format) for mmdet.

    Unlike ``CocoDataset``, which drops annotations with ``ignore: true``,
    ignore regions stay as ``ignore_flag=1`` instances (mmdet hands them to
    the heads as ``batch_gt_instances_ignore``): ``ignore``, ``iscrowd`` and,
    with ``ignore_uncertain``, ``uncertain`` boxes. Every category of the file
    (sea_person, earth_person) is the one class ``person``.

    Tiles: an image entry with ``corner`` (TinyBenchmark's cut files, or
    ``tools/dataset_converters/tinyperson_cut.py``) is one tile of its image;
    ``CropByCorner`` cuts it after loading. ``ori_img_id`` is the id of the
    whole image in ``old_images`` (by ``file_name``), which
    ``TinyPersonMetric`` merges back to. ``tile_cfg=dict(size=(w, h),
    overlap=(ow, oh), keep_ratio=0.7)`` cuts whole images at load time instead
    (run-time tiling, windows from sahi's slicing helper).

    Args:
        ignore_uncertain: uncertain boxes are ignore regions (the benchmark's rule).
        drop_ignore: drop ignore regions altogether (TinyBenchmark trains on
            the "erased" images, where they are painted out, and drops them).
        tile_cfg: run-time tiling, see above.
    """

    METAINFO = dict(classes=('person',), palette=[(220, 20, 60)])

    def __init__(self, *args, ignore_uncertain=True, drop_ignore=False, tile_cfg=None, **kwargs):
        self.ignore_uncertain = ignore_uncertain
        self.drop_ignore = drop_ignore
        if tile_cfg is not None:
            unknown = set(tile_cfg) - {'size', 'overlap', 'keep_ratio'}
            if unknown or 'size' not in tile_cfg:
                raise ValueError(f'tile_cfg must be dict(size=(w, h), overlap=(ow, oh), '
                                 f'keep_ratio=0.7); got {tile_cfg}')
        self.tile_cfg = tile_cfg
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            coco = load_tinyperson_json(local_path)
        self.cat_ids = [c['id'] for c in coco['categories']]
        self.cat2label = {c: 0 for c in self.cat_ids}  # sea and earth persons: one class
        originals = {img['file_name']: img['id'] for img in coco.get('old_images') or []}
        anns_by_img = {}
        for ann in coco['annotations']:
            anns_by_img.setdefault(ann['image_id'], []).append(ann)
        data_list = []
        next_id = max([img['id'] for img in coco['images']] + [0]) + 1
        for img in coco['images']:
            instances = self._instances(anns_by_img.get(img['id'], []), img['width'], img['height'])
            base = dict(img_path=osp.join(self.data_prefix['img'], img['file_name']),
                        seg_map_path=None, ori_img_id=originals.get(img['file_name'], img['id']))
            corner = img.get('corner')
            if corner is not None or self.tile_cfg is None:
                data_list.append(dict(base, img_id=img['id'], height=img['height'],
                                      width=img['width'],
                                      tile_corner=list(corner) if corner is not None else None,
                                      instances=instances))
                continue
            boxes = [i['bbox'] for i in instances]
            for window in tile_windows(img['width'], img['height'], self.tile_cfg['size'],
                                       self.tile_cfg.get('overlap', (100, 100))):
                clipped, keep = clip_boxes_to_tile(boxes, window,
                                                   self.tile_cfg.get('keep_ratio', 0.7))
                tile_instances = [dict(instances[k], bbox=[float(v) for v in box])
                                  for box, k in zip(clipped, keep)]
                data_list.append(dict(base, img_id=next_id, height=window[3] - window[1],
                                      width=window[2] - window[0], tile_corner=window,
                                      instances=tile_instances))
                next_id += 1
        return data_list

    def _instances(self, anns, width, height):
        instances = []
        for ann in anns:
            x, y, w, h = ann['bbox']
            if w <= 0 or h <= 0:
                continue
            if min(x + w, width) - max(x, 0) <= 0 or min(y + h, height) - max(y, 0) <= 0:
                continue
            ignore = is_ignore_region(ann, self.ignore_uncertain)
            if ignore and self.drop_ignore:
                continue
            instances.append(dict(bbox=[x, y, x + w, y + h],
                                  bbox_label=self.cat2label[ann['category_id']],
                                  ignore_flag=int(ignore),
                                  uncertain=bool(ann.get('uncertain', False)),
                                  logo=bool(ann.get('logo', False))))
        return instances

    def filter_data(self):
        """Training: drop images (tiles) without a positive box if ``filter_empty_gt``."""
        if self.test_mode or self.filter_cfg is None:
            return self.data_list
        filter_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [d for d in self.data_list
                if min(d['width'], d['height']) >= min_size
                and not (filter_empty and not any(i['ignore_flag'] == 0 for i in d['instances']))]
