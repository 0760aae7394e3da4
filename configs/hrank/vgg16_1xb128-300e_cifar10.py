# Full-precision VGG-16-BN for CIFAR (HRank's vgg_16_bn).
# Paper baseline: 93.96%, 313.73M FLOPs, 14.98M params.
_base_ = ['./resnet56_1xb128-300e_cifar10.py']
model = dict(
    backbone=dict(_delete_=True, type='CIFARVGG'),
    head=dict(_delete_=True, type='StackedLinearClsHead', num_classes=10, in_channels=512,
              mid_channels=[512], norm_cfg=dict(type='BN1d'), act_cfg=dict(type='ReLU'),
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
