# The DARTS evaluation training on CIFAR-10 (Liu et al., arXiv 1806.09055,
# Appendix A.2; official cnn/train.py and utils.py): batch 96, 600 epochs, SGD
# lr 0.025 (momentum 0.9) cosine-annealed to 0, weight decay 3e-4, gradient
# norm clipped at 5, drop path 0.2 * epoch / 600, cutout 16, auxiliary loss
# weight 0.4 (in the model). Normalization with DARTS's CIFAR-10 mean/std; its
# cutout zeroes the normalized image, i.e. paints the mean colour, so pad_val
# is the mean here (mmpretrain cuts out before normalizing).
# BNAS's retraining schedule is not published (the official code,
# github.com/bczhangbczhang/BNAS, is test-only); this is DARTS's, which BNAS's
# DARTS-style evaluation network follows as far as the code shows.
_base_ = ['../../_base_/default_runtime.py']
custom_imports = dict(
    imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.models', 'mmlean.nas'],
    allow_failed_imports=False)

dataset_type = 'CIFAR10'
data_root = 'data/cifar10'  # cifar-10-batches-py/ inside
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    # 255 * (0.49139968, 0.48215827, 0.44653124) and 255 * (0.24703233, 0.24348505,
    # 0.26158768): DARTS's CIFAR-10 statistics, which the official BNAS test also uses
    mean=[125.3069184, 122.95035885, 113.8654662],
    std=[62.99324415, 62.08868775, 66.7048584],
    to_rgb=False)  # CIFAR10 loads RGB already
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Cutout', shape=16, pad_val=(125, 123, 114), prob=1.0),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=96,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', download=False,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=96,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, split='test', download=False,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 600
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0, by_epoch=True, begin=0,
         end=max_epochs)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2,
                    save_best='accuracy/top1'))
custom_hooks = [
    dict(type='ProgressBarHook'),
    dict(type='DropPathScheduleHook', max_prob=0.2),
]
