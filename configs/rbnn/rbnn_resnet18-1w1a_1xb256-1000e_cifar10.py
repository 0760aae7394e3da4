# RBNN ResNet-18 for CIFAR (official resnet2.py, resnet18D_1w1a): 64-512
# channels, FP 3x3 stem + BN without activation, binarized 1x1 shortcut.
# Paper / README: 92.2% top-1.
_base_ = ['./rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py']
model = dict(architecture=dict(
    backbone=dict(_delete_=True, type='CIFARResNet', stem_channels=64,
                  stage_channels=(64, 128, 256, 512), stage_blocks=(2, 2, 2, 2),
                  shortcut='B', stem_act=False, act_cfg=dict(type='Hardtanh'),
                  init_cfg=[dict(type='Kaiming', layer='Conv2d', mode='fan_in')]),
    neck=dict(in_channels=512),
    head=dict(in_channels=512)))
