# The unpruned full-precision CIFAR ResNet-20 (ReLU, option-A shortcuts) that
# hrank_resnet20_1xb64-12e_digits-on-photos.py prunes, on the embedded proxy that
# does not saturate (scikit-learn's digits drawn on scikit-image photographs,
# mmlean.datasets.DigitsOnPhotosDataset). HRank's baseline recipe (SGD 0.1,
# momentum 0.9, wd 5e-4), shortened to 30 epochs with a cosine decay.
_base_ = [
    '../_base_/datasets/digits_on_photos_bs64.py',
    '../_base_/schedules/digits_sgd_cos.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=20),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
max_epochs = 30
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, by_epoch=True,
         begin=1, end=max_epochs, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
custom_hooks = [dict(type='ProgressBarHook')]
