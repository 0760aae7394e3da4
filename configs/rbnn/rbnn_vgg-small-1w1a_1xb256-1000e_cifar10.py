# RBNN VGG-small, CIFAR-10 (official vgg.py: FP conv0, five binary convs, FP
# linear 8192 -> 10). Paper / README: 91.3% top-1.
_base_ = ['./rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py']
model = dict(architecture=dict(
    backbone=dict(_delete_=True, type='VGGSmall', act_cfg=dict(type='Hardtanh'),
                  init_cfg=[dict(type='Kaiming', layer='Conv2d', mode='fan_in')]),
    neck=dict(_delete_=True, type='FlattenNeck'),
    head=dict(in_channels=512 * 4 * 4)))
