# RBNN ResNet-20 (1-bit weights and activations, FP stem and FC; Lin et al., NeurIPS
# 2020) for 32x32 inputs with a 40-epoch schedule: the network and schedule that the
# digits and digits-on-photos learning configs share (they add the dataset).
_base_ = [
    '../../_base_/schedules/rbnn_sgd_cos.py',
    '../../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.rbnn'], allow_failed_imports=False)

architecture = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=20, act_cfg=dict(type='Hardtanh'),
        # official models_cifar/resnet.py: Kaiming-normal convs, BN weight 1e-8
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

max_epochs = 40
warmup_epochs = 5
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0,
         end=warmup_epochs),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
custom_hooks = [dict(type='ProgressBarHook'), dict(type='RBNNHook')]
