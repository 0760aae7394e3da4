# Baseline for iff_retinanet_r50_fpn_1x_coco.py: mmdet's own RetinaNet R-50-FPN 1x, COCO config, unchanged.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
