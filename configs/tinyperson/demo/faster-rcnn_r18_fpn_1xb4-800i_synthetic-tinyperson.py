# TinyPerson learning check on the synthetic tiny-person set (no downloads):
#   python tools/dataset_converters/synthetic_tinyperson.py --out data/synthetic_tinyperson
#   python tools/dataset_converters/tinyperson_cut.py \
#       data/synthetic_tinyperson/annotations/task/tiny_set_train_all.json \
#       data/synthetic_tinyperson/annotations/corner/task/tiny_set_train_sw320_sh256_all.json \
#       --tile 320 256 --overlap 50 50
# A small Faster R-CNN (ResNet-18 from scratch, 64-channel FPN, TinyPerson anchors) trained on
# offline 320x256 tiles (the protocol's 640x512 halved for 640x480 images and a 2-core CPU),
# tested with run-time tiling of the whole test images, merged and scored by TinyPersonMetric.
_base_ = ['../faster-rcnn_r50_fpn_1xb2-12e_tinyperson640.py']
data_root = 'data/synthetic_tinyperson/'
iters = 800
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64),
                  bbox_head=dict(in_channels=64, fc_out_channels=256)))
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='annotations/corner/task/tiny_set_train_sw320_sh256_all.json',
                 data_prefix=dict(img='train/')))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='annotations/task/tiny_set_test_all.json',
                 data_prefix=dict(img='test/'), tile_cfg=dict(size=(320, 256), overlap=(50, 50))))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/task/tiny_set_test_all.json')
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=iters, milestones=[600, 750], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=iters), logger=dict(interval=50))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
