# TinyPerson, TinyBenchmark's protocol: train on 640x512 tiles of the "erased" images
# (ignore/uncertain regions painted out), test on the 640x512 tiles of the test images, merge
# the tiles' detections back to whole images (NMS 0.5) and score them with the TinyPerson
# protocol (AP at IoU .25/.5/.75 per size range, IoD rule for ignore regions, MR).
# Layout (TinyBenchmark's dataset/README.md):
#   data/tiny_set/erase_with_uncertain_dataset/train/labeled_images/*.jpg
#   data/tiny_set/erase_with_uncertain_dataset/annotations/corner/task/tiny_set_train_sw640_sh512_all.json
#   data/tiny_set/test/labeled_images/*.jpg
#   data/tiny_set/annotations/corner/task/tiny_set_test_sw640_sh512_all.json
#   data/tiny_set/annotations/task/tiny_set_test_all.json
custom_imports = dict(imports=['mmlean.projects.tinyperson'], allow_failed_imports=False)
dataset_type = 'TinyPersonDataset'
data_root = 'data/tiny_set/'
backend_args = None
tile_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                  'flip_direction', 'tile_corner', 'ori_img_id')
# scale 1.0: tiles are not resized (tiny objects), as TinyBenchmark; the Resize only records
# scale_factor 1 (the heads' post-processing needs it)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='CropByCorner'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=tile_meta_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='CropByCorner'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=tile_meta_keys)
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root,
        ann_file='erase_with_uncertain_dataset/annotations/corner/task/tiny_set_train_sw640_sh512_all.json',
        data_prefix=dict(img='erase_with_uncertain_dataset/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1), pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root,
        ann_file='annotations/corner/task/tiny_set_test_sw640_sh512_all.json',
        data_prefix=dict(img='test/'), test_mode=True, pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='TinyPersonMetric', ann_file=data_root + 'annotations/task/tiny_set_test_all.json',
                     iou_thrs=(0.25, 0.5, 0.75), max_dets=200, mr=True, merge_nms_thr=0.5)
test_evaluator = val_evaluator
