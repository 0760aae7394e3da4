# Learning check on real mini-data: a full-precision CIFAR ResNet-20 trained
# on scikit-learn's digits (configs/demo/resnet20_1xb64-15e_digits.py) is
# pruned by HRank to about half its FLOPs (the block-internal conv1 filters,
# rate 0.5: 40.6M -> 20.5M conv+linear MACs) and fine-tuned one-shot.
#   python tools/analysis_tools/hrank_ranks.py THIS_CONFIG --out RANKS.json \
#       --cfg-options ...   (see tools/demo.sh for the whole pipeline)
_base_ = [
    '../_base_/datasets/digits_bs64.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.hrank'], allow_failed_imports=False)

pretrained = 'work_dirs/demo/resnet20_digits/epoch_15.pth'
architecture = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=20),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
model = dict(
    _scope_='mmrazor', type='HRank', architecture=architecture,
    # stem, then (conv1, conv2) per block, in network order
    compress_rate=[0.0] + [0.5, 0.0] * 9,
    rank_file='work_dirs/demo/hrank_digits/ranks.json',
    input_shape=(3, 32, 32))

# HRank's fine-tuning recipe (SGD 0.01, momentum 0.9, wd 5e-4, x0.1 at 5, 10),
# one stage, shortened to 12 epochs for digits
max_epochs = 12
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[5, 10], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=4)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ProgressBarHook'), dict(type='HRankHook', mode='one_shot')]
