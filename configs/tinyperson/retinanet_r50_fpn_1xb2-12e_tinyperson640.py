# RetinaNet R-50-FPN on TinyPerson (benchmark: AP50_tiny 33.53 updated evaluation, 30.82 WACV paper).
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py', 'mmdet::_base_/default_runtime.py',
    './_base_/tinyperson_sw640_sh512.py', './_base_/tinyperson_schedule_1xb2-12e.py'
]
model = dict(bbox_head=dict(num_classes=1), test_cfg=dict(max_per_img=200))
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
