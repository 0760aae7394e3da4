# HRank on VGG-16-BN for CIFAR (README row: 108.61M FLOPs (-65.3%), 2.64M
# params, 92.34%); the 13th conv is never pruned (as in HRank), so 12 layers,
# 30 epochs each.
_base_ = ['./hrank_resnet56_1xb128-layerwise-30e_cifar10.py']
pretrained = 'work_dirs/vgg16_1xb128-300e_cifar10/epoch_300.pth'  # the baseline config's last checkpoint
model = dict(
    architecture=dict(
        backbone=dict(_delete_=True, type='CIFARVGG'),
        head=dict(_delete_=True, type='StackedLinearClsHead', num_classes=10,
                  in_channels=512, mid_channels=[512], norm_cfg=dict(type='BN1d'),
                  act_cfg=dict(type='ReLU'),
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    compress_rate='[0.95]+[0.5]*6+[0.9]*4+[0.8]*2',
    rank_file='work_dirs/hrank_vgg16/ranks.json')
prunable_layers = 12
train_cfg = dict(max_epochs=30 * prunable_layers)
