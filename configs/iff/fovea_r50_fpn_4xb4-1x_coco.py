# Baseline for iff_fovea_r50_fpn_4xb4-1x_coco.py: mmdet's own FoveaBox R-50-FPN 1x, COCO config, unchanged.
_base_ = ['mmdet::foveabox/fovea_r50_fpn_4xb4-1x_coco.py']
