from .ap import (TINY_AREA_RANGES, TINY_IOU_THRS, TinyPersonCOCOeval, evaluate_ap,
                 intersection_over_detection)
from .metric import TinyPersonMetric, detections_coco, person_coco
from .miss_rate import MR_SIZE_RANGES, TinyPersonMissRate, log_average_miss_rate

__all__ = ['TinyPersonCOCOeval', 'evaluate_ap', 'intersection_over_detection', 'TinyPersonMetric',
           'TinyPersonMissRate', 'log_average_miss_rate', 'person_coco', 'detections_coco',
           'TINY_AREA_RANGES', 'TINY_IOU_THRS', 'MR_SIZE_RANGES']
