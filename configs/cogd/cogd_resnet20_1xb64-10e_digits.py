# CoGD channel pruning on scikit-learn's digits (no download): GAL-style soft
# masks on the block-internal convs of a CIFAR ResNet-20 trained by
# configs/demo/resnet20_1xb64-15e_digits.py, trained with CoGD on the
# (conv + BN affine, mask) pairs; half of each masked conv's channels are
# removed at export (equal FLOPs for any optimizer). The whole comparison
# (pretraining, CoGD vs SGD, physical pruning, fine-tuning) is run by
#   python tools/cogd/prune_compare.py
# which reads this config (model, data, optimizer; its own epochs); softmask-sgd_...
# is the same schedule with plain SGD. BatchNorm statistics stay frozen while the
# masks train (SoftMaskPruning.freeze_bn_stats), so start from a trained model.
_base_ = [
    '../_base_/datasets/digits_bs64.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.cogd'], allow_failed_imports=False)

pretrained = 'work_dirs/demo/resnet20_digits/epoch_15.pth'
architecture = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=20),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
model = dict(
    _scope_='mmrazor', type='SoftMaskPruning', architecture=architecture,
    prune_rate=0.5, mask_init=1.0, l1_loss=0.0, input_shape=(3, 32, 32))

max_epochs = 10
iters_per_epoch = 23  # 1437 training digits / 64
# CoGD (the paper's form): SGD on everything; on each pair the mask takes a
# proximal l1 step (exact zeros, masks kept >= 0) and the filters / BN affine
# of channels whose mask is 0 get the coupling correction, its strength
# decayed linearly to 0 over the run. The masks learn 50x faster than the weights
# (x_lr_mult); lr and l1 were picked by a few short runs on digits.
optim_wrapper = dict(
    constructor='CoGDOptimWrapperConstructor',
    optimizer=dict(type='CoGD', lr=0.002, momentum=0.9, weight_decay=5e-4, rule='paper',
                   select='zero', beta=10.0, decay='linear',
                   total_steps=max_epochs * iters_per_epoch),
    paramwise_cfg=dict(cogd_pairs=[
        dict(x=r'(.*)\.bn(\d+)\.soft_mask',
             A=[r'\1.conv\2.weight', r'\1.bn\2.weight', r'\1.bn\2.bias'],
             l1=0.3, nonneg=True, x_lr_mult=50.0)
    ]))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='CoGDHook')]
