# Monotone Scale Match pre-training: as the SM config, but each COCO image's mean object size is
# mapped monotonically from COCO's size distribution (train2014) onto TinyPerson's (Eq. 7).
_base_ = ['./faster-rcnn_r50_fpn_sm-coco_8xb4-45k.py']
msm = dict(type='ScaleMatchResize', target_ann_file={{_base_.tinyperson_train_json}},
           source_ann_file='data/coco/annotations/instances_train2014.json', mode='MSM', bins=100,
           default_scale=0.25, scale_range=(0.1, 1.0))
coco_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    msm,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(datasets=[
    dict(type='CocoDataset', data_root='data/coco/', ann_file='annotations/instances_train2014.json',
         data_prefix=dict(img='train2014/'), filter_cfg=dict(filter_empty_gt=True, min_size=1),
         pipeline=coco_train_pipeline),
    dict(type='CocoDataset', data_root='data/coco/', ann_file='annotations/instances_val2014.json',
         data_prefix=dict(img='val2014/'), filter_cfg=dict(filter_empty_gt=True, min_size=1),
         pipeline=coco_train_pipeline)]))
