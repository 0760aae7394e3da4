# CoGD channel pruning of a CIFAR-10 ResNet-18 (mmpretrain's ResNet_CIFAR, trained by
# configs/cogd/resnet18_8xb16-200e_cifar10.py):
# soft masks on every BasicBlock's conv1 (conv2 writes the residual stream
# and keeps its channels), trained 30 epochs with CoGD, half removed. The
# paper's CIFAR-10 ratios could not be checked: prune_rate is a choice.
_base_ = ['./cogd_resnet56_1xb128-30e_cifar10.py']
pretrained = 'work_dirs/resnet18_8xb16-200e_cifar10/epoch_200.pth'  # resnet18_8xb16-200e_cifar10.py
model = dict(
    architecture=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=512,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
