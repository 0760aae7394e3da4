# HRank on CIFAR ResNet-56 with the paper's compress rates (README row:
# 62.72M FLOPs (-50.0%), 0.49M params, 93.17% top-1), layer by layer: each
# prunable layer is pruned, then fine-tuned 30 epochs (SGD 0.01, x0.1 at 5 and
# 10, momentum 0.9, wd 5e-4), masks re-applied after every step.
#   1. train resnet56_1xb128-300e_cifar10.py -> pretrained
#   2. python tools/analysis_tools/hrank_ranks.py THIS_CONFIG PRETRAINED --out RANKS
#   3. python tools/train.py THIS_CONFIG
#   4. python tools/deployment/hrank_export.py THIS_CONFIG CKPT --out pruned.pth --eval
# Option-A shortcuts tie the stem/conv2 channels to the residual stream: only
# the 27 block-internal conv1 layers are removed physically (see README).
_base_ = [
    '../_base_/datasets/cifar10_bs128_hrank.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.hrank'], allow_failed_imports=False)

pretrained = 'work_dirs/resnet56_1xb128-300e_cifar10/epoch_300.pth'  # the baseline config's last checkpoint
compress_rate = ('[0.1]+[0.60]*35+[0.0]*2+[0.6]*6+[0.4]*3+[0.1]+[0.4]+[0.1]+[0.4]+[0.1]'
                 '+[0.4]+[0.1]+[0.4]')
architecture = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=56),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
model = dict(_scope_='mmrazor', type='HRank', architecture=architecture,
             compress_rate=compress_rate,
             rank_file='work_dirs/hrank_resnet56/ranks.json', input_shape=(3, 32, 32))

epochs_per_layer = 30
prunable_layers = 27
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = []  # HRankHook restarts the LR schedule at each layer
train_cfg = dict(by_epoch=True, max_epochs=epochs_per_layer * prunable_layers, val_interval=5)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='HRankHook', mode='layerwise', epochs_per_layer=epochs_per_layer,
                     stage_lr=0.01, stage_milestones=(5, 10))]
default_hooks = dict(checkpoint=dict(interval=30, max_keep_ckpts=2))
