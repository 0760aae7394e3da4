# BNAS-XNOR on ImageNet in DARTS's mobile setting (Liu et al., arXiv 1806.09055,
# Sec. 3.3 and Appendix A.2; official cnn/model.py NetworkImageNet): the
# BNAS_XNOR_1 cell, 14 cells, 48 initial channels, ImageNet stem (three
# stride-2 3x3 convs, full precision), auxiliary head (weight 0.4), 224x224.
# BNAS reports ImageNet results but released neither its ImageNet network nor
# its schedule (the official code, github.com/bczhangbczhang/BNAS, is CIFAR-10
# test code); this is the CIFAR cell in DARTS's ImageNet network, trained with
# DARTS's ImageNet schedule: 250 epochs, batch 128, SGD lr 0.1 (momentum 0.9)
# x0.97 per epoch, weight decay 3e-5, gradient norm clipped at 5, label
# smoothing 0.1, no drop path; augmentation RandomResizedCrop 224, flip,
# ColorJitter(0.4, 0.4, 0.4, 0.2).
_base_ = [
    './_base_/bnas_xnor_eval_net.py',
    '../_base_/datasets/imagenet_bs128.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(
    imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.models', 'mmlean.nas'],
    allow_failed_imports=False)

base_channels = 48
num_layers = 14
smooth_loss = dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')
model = dict(cfg=dict(
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(base_channels=base_channels, num_layers=num_layers,
                  out_indices=(num_layers - 1, ), stem_type='imagenet'),
    head=dict(num_classes=1000, in_channels=16 * base_channels,
              loss=dict(_delete_=True, loss_weight=1.0, **smooth_loss),
              aux_loss=dict(_delete_=True, loss_weight=0.4, **smooth_loss))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))

max_epochs = 250
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-5),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [dict(type='StepLR', step_size=1, gamma=0.97, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='accuracy/top1'))
# no drop path (DARTS ImageNet: drop_path_prob 0); the hook pins mmrazor's pool ops,
# whose DropPath starts at 0.1, to 0
custom_hooks = [
    dict(type='ProgressBarHook'),
    dict(type='DropPathScheduleHook', max_prob=0.0),
]
