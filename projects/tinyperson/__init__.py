"""TinyPerson benchmark (Yu et al., WACV 2020, arXiv 1912.10664) for MMDetection 3.x.

Importing this package registers ``TinyPersonDataset`` (DATASETS),
``CropByCorner`` and ``ScaleMatchResize`` (TRANSFORMS) and
``TinyPersonMetric`` (METRICS) in mmdet's registries.
"""
from .annotations import TinyPersonFormatError, load_tinyperson_json
from .dataset import TinyPersonDataset
from .evaluation import TinyPersonCOCOeval, TinyPersonMetric, TinyPersonMissRate
from .scale_match import MonotoneScaleMatch, ScaleMatch, SizeHistogram, object_sizes_from_json
from .tiling import clip_boxes_to_tile, cut_coco, merge_tile_detections, tile_windows
from .transforms import CropByCorner, ScaleMatchResize

__all__ = ['TinyPersonDataset', 'TinyPersonMetric', 'TinyPersonCOCOeval', 'TinyPersonMissRate',
           'CropByCorner', 'ScaleMatchResize', 'ScaleMatch', 'MonotoneScaleMatch', 'SizeHistogram',
           'object_sizes_from_json', 'tile_windows', 'clip_boxes_to_tile', 'cut_coco',
           'merge_tile_detections', 'load_tinyperson_json', 'TinyPersonFormatError']
