# RBNN ResNet-20 (standard block, official models_cifar/resnet.py), W1A1,
# CIFAR-10, 1000 epochs (the README also reports 400 as acceptable).
# Paper / README: 86.5% top-1.
_base_ = [
    '../_base_/datasets/cifar10_bs256.py',
    '../_base_/schedules/rbnn_sgd_cos.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.rbnn'], allow_failed_imports=False)

architecture = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=20, act_cfg=dict(type='Hardtanh'),
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d', mode='fan_in'),
            dict(type='Constant', layer='BatchNorm2d', val=1e-8, bias=0.0),
        ]),
    neck=dict(type='PoolBatchNormNeck', in_channels=64),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              init_cfg=dict(type='Kaiming', layer='Linear', mode='fan_in')))
model = dict(_scope_='mmrazor', type='RBNN', architecture=architecture,
             conv_cfg=dict(type='RBNNConv2d'))
custom_hooks = [dict(type='RBNNHook', t_min=1e-2, t_max=1e1, rotation_interval=1)]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
