# BNAS search on scikit-learn's digits (no download): a small proxy of the
# CIFAR-10 search (configs/bnas/bnas_xnor-w1a32_supernet-c16-l8_1xb256-search_cifar10.py)
# that runs in minutes on a CPU. The digits' 80% training split is halved as
# DARTS does: the first half trains weights, the second half trains alphas and
# scores the sampled paths; the 20% test split stays untouched for retraining.
_base_ = [
    '../_base_/nas/binary_darts_supernet.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.bnas'], allow_failed_imports=False)

nas_backbone = _base_.nas_backbone
nas_backbone.update(base_channels=16, num_layers=5, out_indices=(4, ))

data_preprocessor = dict(num_classes=10, mean=[78.0] * 3, std=[95.0] * 3, to_rgb=False)
model = dict(
    _scope_='mmrazor',
    type='BNAS',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        data_preprocessor=data_preprocessor,
        backbone=nas_backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=256,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    mutator=dict(type='SampleReduceMutator',
                 scorer=dict(type='PerformanceLikelihoodScorer', rounds=1)))

# 16x16 digits (the originals are 8x8): a quarter of the 32x32 cost on a CPU
train_pipeline = [dict(type='RandomCrop', crop_size=16, padding=2), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]
split = dict(type='DigitsDataset', split='train', image_size=16)
train_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(split, indices=719, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
mutator_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(split, indices=-718, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
eval_dataloader = dict(mutator_dataloader, batch_size=256,
                       sampler=dict(type='DefaultSampler', shuffle=False))

# PC-DARTS optimizers (official train_search.py): SGD for the weights, Adam for
# alpha/beta; the learning rates are PC-DARTS's
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
                      clip_grad=dict(max_norm=5, norm_type=2)),
    mutator=dict(optimizer=dict(type='Adam', lr=6e-4, betas=(0.5, 0.999),
                                weight_decay=1e-3)))
# T = 1 sampling round per reduction on this proxy (3 on CIFAR-10), 20 sampled
# paths of 8 iterations each, one supernet epoch after each reduction
train_cfg = dict(
    type='mmrazor.SampleReduceSearchLoop',
    mutator_dataloader=mutator_dataloader,
    eval_dataloader=eval_dataloader,
    warmup_epochs=4,
    arch_start=2,
    epochs_between=1,
    sample_train_iters=8,
    calibrate_sample_num=256)
# one step per epoch of the schedule: 4 warm-up + 19 sampled paths + 6 supernet epochs = 29;
# the weights' lr follows a cosine over the whole search (PC-DARTS: to 0), alpha's is constant
num_steps = 29
param_scheduler = dict(
    architecture=dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.0, by_epoch=True,
                      begin=0, end=num_steps),
    mutator=dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=num_steps))
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
                     logger=dict(type='LoggerHook', interval=20))
# distributed search: single paths leave most of the supernet unused in a step
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
