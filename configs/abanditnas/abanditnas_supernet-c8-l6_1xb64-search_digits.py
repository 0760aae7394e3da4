# ABanditNAS search on scikit-learn's digits (no download, 16x16, one channel): a small CPU
# proxy of the CIFAR-10 search (abanditnas_supernet-c16-l6_1xb96-search_cifar10.py). The
# digits' 80% training split is halved: the first half trains the sampled paths (FGSM with
# a random start, 8 iterations per path), the second half rewards them with their clean
# accuracy; the 20% test split stays untouched for retraining. Clean, not adversarial, reward
# on this proxy: with 8 iterations per path the first paths' accuracy on FGSM examples at
# eps 0.1 was 0 (measured: 10 of the first 11 paths), which leaves the bandits no signal;
# the CIFAR-10 config rewards adversarial accuracy (`reward`).
# Search: 9 initialization paths (each op once per edge), then T = 1 x K paths per round
# (T = 3 on CIFAR-10) and one UCB abandonment per edge, K = 9 -> 1: 53 paths in all.
# eps = 0.1 on digits (MNIST uses 0.3; the 8x8 digits upsampled to 16x16 are blurrier,
# 0.3 erases them): our choice.
_base_ = ['./_base_/abandit_space.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['mmlean.projects.abanditnas'], allow_failed_imports=False)

eps = 0.1
data_preprocessor = dict(num_classes=10, mean=[0.0], std=[255.0])  # to [0, 1]
backbone = dict(_base_.supernet_backbone)
backbone.update(in_channels=1, base_channels=8, mean=[0.306], std=[0.373])
model = dict(
    _scope_='mmrazor',
    type='ABanditNAS',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=16 * 8,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    mutator=dict(type='SampleReduceMutator', num_inputs=1, route_rank='score',
                 scorer=dict(type='AntiBanditScorer', rounds=1, lam=0.7)),
    attack=dict(type='fgsm_rs', eps=eps, alpha=1.25 * eps),
    reward='clean')

train_pipeline = [dict(type='RandomCrop', crop_size=16, padding=2), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]
split = dict(type='DigitsDataset', split='train', image_size=16, channels=1)
train_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(split, indices=719, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
mutator_dataloader = dict(
    batch_size=128, num_workers=0,
    dataset=dict(split, indices=-718, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
train_cfg = dict(
    type='mmrazor.SampleReduceSearchLoop',
    mutator_dataloader=mutator_dataloader,
    warmup_epochs=0,
    epochs_between=0,
    sample_train_iters=8,
    calibrate_sample_num=256)
num_steps = 53
param_scheduler = dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.005, by_epoch=True,
                       begin=0, end=num_steps)
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2),
                     logger=dict(type='LoggerHook', interval=20))
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
