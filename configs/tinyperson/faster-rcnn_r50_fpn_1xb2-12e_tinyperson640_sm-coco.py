# Fine-tune the SM-COCO pre-trained Faster R-CNN on TinyPerson (benchmark: AP50_tiny 51.33 with
# SM COCO, 50.89 with MSM COCO, updated evaluation). The 80-class box predictor does not match the
# 1-class one and is skipped when loading (TinyBenchmark's IGNORE_WEIGHT_KEYS).
_base_ = ['./faster-rcnn_r50_fpn_1xb2-12e_tinyperson640.py']
load_from = 'work_dirs/faster-rcnn_r50_fpn_sm-coco_8xb4-45k/iter_45000.pth'
