# Faster R-CNN R-50-FPN on TinyPerson (the benchmark's strongest single baseline: AP50_tiny 47.35,
# MR50_tiny 87.57 with the updated evaluation; 43.55 in the WACV paper's evaluation).
# Anchors of TinyBenchmark's FPN config: sizes 8.31/12.5/18.55/30.23/60.41 on P2-P6, aspect ratios
# (h/w) 0.5/1.3/2. 200 detections per tile, the merge keeps up to 200 per image for AP.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', 'mmdet::_base_/default_runtime.py',
    './_base_/tinyperson_sw640_sh512.py', './_base_/tinyperson_schedule_1xb2-12e.py'
]
model = dict(
    rpn_head=dict(
        anchor_generator=dict(
            _delete_=True, type='AnchorGenerator', strides=[4, 8, 16, 32, 64],
            base_sizes=[8.31, 12.5, 18.55, 30.23, 60.41], scales=[1.0], ratios=[0.5, 1.3, 2.0])),
    roi_head=dict(bbox_head=dict(num_classes=1)),
    test_cfg=dict(rcnn=dict(max_per_img=200)))
