# HRank on the full-precision ResNet-20 of resnet20_1xb64-30e_digits-on-photos.py
# (the embedded proxy that does not saturate): the 9 block-internal conv1 layers
# pruned at rate 0.5 (40.6M -> 20.5M conv+linear MACs), one-shot, then fine-tuned
# 12 epochs with HRank's recipe (SGD 0.01, x0.1 at 5 and 10, momentum 0.9, wd 5e-4).
#   1. python tools/train.py configs/hrank/resnet20_1xb64-30e_digits-on-photos.py
#   2. python tools/analysis_tools/hrank_ranks.py THIS_CONFIG --out RANKS.json
#        [--criterion l1|random]   (the baselines: same rates, other filters)
#   3. python tools/train.py THIS_CONFIG --cfg-options model.rank_file=RANKS.json
#   4. python tools/deployment/hrank_export.py THIS_CONFIG CKPT --out pruned.pth --eval
# tools/analysis_tools/evidence.py --rows hrank runs all of it for 3 seeds.
_base_ = [
    '../_base_/datasets/digits_on_photos_bs64.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.hrank'], allow_failed_imports=False)

pretrained = 'work_dirs/resnet20_1xb64-30e_digits-on-photos/epoch_30.pth'
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
    rank_file='work_dirs/hrank_resnet20_1xb64-12e_digits-on-photos/ranks.json',
    input_shape=(3, 32, 32))

max_epochs = 12
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[5, 10], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=4)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ProgressBarHook'), dict(type='HRankHook', mode='one_shot')]
