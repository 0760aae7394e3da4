# Adaptive RetinaNet on TinyPerson (benchmark: AP50_tiny 46.56 updated evaluation, 41.25 WACV paper):
# RetinaNet with the FPN starting at P2 (start_level 0, strides 4-64) and anchors scaled down
# (octave_base_scale 2 instead of 4), as TOV_mmdetection's port.
_base_ = ['./retinanet_r50_fpn_1xb2-12e_tinyperson640.py']
model = dict(
    neck=dict(start_level=0, num_outs=5),
    bbox_head=dict(anchor_generator=dict(octave_base_scale=2, strides=[4, 8, 16, 32, 64])))
