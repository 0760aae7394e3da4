# CoGD channel pruning of a CIFAR-10 ResNet-56 (trained by
# configs/hrank/resnet56_1xb128-300e_cifar10.py): soft masks on every block's
# conv1, trained 30 epochs with CoGD, then half of their channels removed.
# The paper's CIFAR-10 table (networks, ratios, schedule) could not be
# checked: prune_rate and the schedule are this config's choices.
_base_ = [
    '../_base_/datasets/cifar10_bs128_hrank.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.cogd'], allow_failed_imports=False)

pretrained = 'work_dirs/resnet56_1xb128-300e_cifar10/epoch_300.pth'
model = dict(
    _scope_='mmrazor', type='SoftMaskPruning',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=56),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    prune_rate=0.5, input_shape=(3, 32, 32))

max_epochs = 30
iters_per_epoch = 391  # 50000 / 128
optim_wrapper = dict(
    constructor='CoGDOptimWrapperConstructor',
    optimizer=dict(type='CoGD', lr=0.01, momentum=0.9, weight_decay=5e-4, rule='paper',
                   select='zero', beta=10.0, total_steps=max_epochs * iters_per_epoch),
    paramwise_cfg=dict(cogd_pairs=[
        dict(x=r'(.*)\.bn(\d+)\.soft_mask',
             A=[r'\1.conv\2.weight', r'\1.bn\2.weight', r'\1.bn\2.bias'],
             l1=1e-3, nonneg=True)
    ]))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='CoGDHook')]
