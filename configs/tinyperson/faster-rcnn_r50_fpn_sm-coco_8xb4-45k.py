# Scale Match pre-training (Yu et al., WACV 2020, Sec. 4): Faster R-CNN R-50-FPN with TinyPerson's
# anchors on COCO 2014 (train + val), every image resized by ScaleMatchResize so that its objects'
# size follows TinyPerson's training size distribution (100 bins, scales clipped to [0.1, 1],
# 0.25 when an image has no box). TinyBenchmark's recipe: 8 GPUs x 4 images, lr 0.02, 45k
# iterations with steps at 30k and 40k, constant warm-up, test at scale 0.25. Then fine-tune with
# faster-rcnn_r50_fpn_1xb2-12e_tinyperson640_sm-coco.py (the 80-class predictor is not loaded).
# Not reproduced: the recipe's extra crop/scale augmentation (USE_MORE_DA: 4), whose details are
# not in the paper.
# Data: data/coco/{train2014,val2014}/, data/coco/annotations/instances_{train,val}2014.json,
# data/coco/annotations/instances_minival2014.json, and the TinyPerson training tiles' json.
_base_ = ['./faster-rcnn_r50_fpn_1xb2-12e_tinyperson640.py']
coco_root = 'data/coco/'
tinyperson_train_json = ('data/tiny_set/erase_with_uncertain_dataset/annotations/corner/task/'
                         'tiny_set_train_sw640_sh512_all.json')
scale_match = dict(type='ScaleMatchResize', target_ann_file=tinyperson_train_json, mode='SM', bins=100,
                   default_scale=0.25, scale_range=(0.1, 1.0))
coco_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    scale_match,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
coco_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale_factor=0.25, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=80)))
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(type='CocoDataset', data_root=coco_root, ann_file='annotations/instances_train2014.json',
             data_prefix=dict(img='train2014/'), filter_cfg=dict(filter_empty_gt=True, min_size=1),
             pipeline=coco_train_pipeline),
        dict(type='CocoDataset', data_root=coco_root, ann_file='annotations/instances_val2014.json',
             data_prefix=dict(img='val2014/'), filter_cfg=dict(filter_empty_gt=True, min_size=1),
             pipeline=coco_train_pipeline)]))
val_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CocoDataset', data_root=coco_root, ann_file='annotations/instances_minival2014.json',
                 data_prefix=dict(img='val2014/'), test_mode=True, pipeline=coco_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CocoMetric', ann_file=coco_root + 'annotations/instances_minival2014.json',
                     metric='bbox')
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=45000, val_interval=45000)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=45000, milestones=[30000, 40000], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=32)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000))
log_processor = dict(by_epoch=False)
