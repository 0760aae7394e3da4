# The IFF learning check's baseline: a small RetinaNet (ResNet-18 from
# scratch, 64-channel FPN from stride 4, 2-conv head) on the synthetic shapes
# set (tools/dataset_converters/synthetic_shapes_coco.py, COCO format),
# 1200 iterations of batch 8, evaluated with mmdet's CocoMetric.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
data_root = 'data/shapes_coco/'
metainfo = dict(classes=('rectangle', 'ellipse', 'triangle'))
iters = 1200
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64, start_level=0, num_outs=5),
    bbox_head=dict(
        num_classes=3, in_channels=64, feat_channels=64, stacked_convs=2,
        anchor_generator=dict(octave_base_scale=3, strides=[4, 8, 16, 32, 64])))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor'))
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=1), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/instances_val.json', data_prefix=dict(img='val/'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=iters, milestones=[900, 1100], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=iters),
                     logger=dict(interval=50))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
