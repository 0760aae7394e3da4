# Baseline for iff_freeanchor_r50_fpn_1x_coco.py: mmdet's own FreeAnchor R-50-FPN 1x, COCO config, unchanged.
_base_ = ['mmdet::free_anchor/freeanchor_r50_fpn_1x_coco.py']
