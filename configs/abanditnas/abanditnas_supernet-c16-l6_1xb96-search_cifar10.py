# ABanditNAS search on CIFAR-10 (ECCV 2020, arXiv 2008.00698, Sec. 3; the authors' book
# chapter, Algorithm 8): the 6-cell supernet (one cell of each kind a..f, C = 16: our choice,
# the proxy's width is not published), K = 9 ops per edge, one anti-bandit per edge:
# 9 initialization paths, then K T paths per round (T = 3), LCB sampling, EMA lambda = 0.7,
# UCB abandonment: 9 + 3 (9 + 8 + ... + 2) = 141 paths. Each path trains one epoch on half
# of the training set with FGSM + random start (eps 8/255, alpha 10/255 = 1.25 eps, Wong
# et al.'s step: the book leaves alpha open) and is rewarded with its accuracy on FGSM
# examples of the other half (clean or adversarial reward is not stated: our choice,
# `reward`). CIFAR-10 in its python format under data/cifar10, never downloaded.
_base_ = ['./_base_/abandit_space.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['mmlean.projects.abanditnas'], allow_failed_imports=False)

eps = 8 / 255
data_preprocessor = _base_.rgb_scale_preprocessor
model = dict(
    _scope_='mmrazor',
    type='ABanditNAS',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=_base_.supernet_backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=16 * 16,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    mutator=dict(type='SampleReduceMutator', num_inputs=1, route_rank='score',
                 scorer=dict(type='AntiBanditScorer', rounds=3, lam=0.7)),
    attack=dict(type='fgsm_rs', eps=eps, alpha=1.25 * eps),
    reward='adversarial')

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
# DARTS's split of the training set (SplitDataset): the first train_portion trains the
# sampled paths, the rest rewards them; --cfg-options data_root=DIR / train_portion=P reach
# every copy
data_root = 'data/cifar10'
train_portion = 0.5
cifar = dict(type='CIFAR10', data_root=data_root, split='train', download=False)
train_dataloader = dict(
    batch_size=96, num_workers=4,
    dataset=dict(type='SplitDataset', train_portion=train_portion, part='train',
                 dataset=dict(cifar, pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True))
mutator_dataloader = dict(
    batch_size=256, num_workers=4,
    dataset=dict(type='SplitDataset', train_portion=train_portion, part='val',
                 dataset=dict(cifar, pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
train_cfg = dict(
    type='mmrazor.SampleReduceSearchLoop',
    mutator_dataloader=mutator_dataloader,
    warmup_epochs=0,
    epochs_between=0,
    sample_train_epochs=1,
    calibrate_sample_num=1024)
num_steps = 141
param_scheduler = dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.001, by_epoch=True,
                       begin=0, end=num_steps)
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
                     logger=dict(type='LoggerHook', interval=50))
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
