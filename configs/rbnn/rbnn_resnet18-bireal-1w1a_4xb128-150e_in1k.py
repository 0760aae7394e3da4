# RBNN ResNet-18 (Bi-Real structure: FP 7x7 stem, FP 1x1 downsample, FP FC),
# ImageNet, batch 512 (4 GPUs x 128), 150 epochs, cosine, no warm-up
# (official imagenet/run.sh). Paper: 59.9 / 81.9 top-1 / top-5.
_base_ = [
    '../_base_/datasets/imagenet_bs128.py',
    '../_base_/schedules/rbnn_sgd_cos.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.rbnn'], allow_failed_imports=False)
architecture = dict(
    type='ImageClassifier',
    backbone=dict(type='BiRealResNet', depth=18, act_cfg=dict(type='Hardtanh'),
                  init_cfg=[dict(type='Kaiming', layer='Conv2d', mode='fan_out')]),
    neck=dict(type='PoolBatchNormNeck', in_channels=512),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))
model = dict(_scope_='mmrazor', type='RBNN', architecture=architecture,
             keep_fp=['*shortcut*'])
max_epochs = 150
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
         end=max_epochs, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [dict(type='RBNNHook')]
# NOTE: the official runs use batch 512 on 4 GPUs; scale the LR with the batch.
auto_scale_lr = dict(base_batch_size=512)
