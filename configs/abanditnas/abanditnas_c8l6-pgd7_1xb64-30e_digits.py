# Adversarial (PGD-7) training of a searched ABanditNAS cell set on scikit-learn's digits
# (16x16, one channel, no download): the 6-cell network of the digits search
# (abanditnas_supernet-c8-l6_1xb64-search_digits.py, C = 8), affine BN, trained 30 epochs on
# the 80% split and tested on the held-out 20% clean and under FGSM, MI-FGSM-10, PGD-7 and
# PGD-20 (torchattacks) at eps = 0.1.
#   python tools/train.py THIS --cfg-options model.architecture.fix_subnet=<search>/fix_subnet.yaml
# (default: the released ABANDIT_CIFAR_1 cells). model.attack=None trains the same network
# clean (the learning check's clean twin).
_base_ = ['./_base_/abandit_space.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['mmlean.projects.abanditnas'], allow_failed_imports=False)

eps, step = 0.1, 0.025
norm_cfg = dict(type='BN')
candidates = {name: dict(cfg, norm_cfg=norm_cfg) for name, cfg in _base_.candidates.items()}
data_preprocessor = dict(num_classes=10, mean=[0.0], std=[255.0])
backbone = dict(_base_.supernet_backbone)
backbone.update(in_channels=1, base_channels=8, mean=[0.306], std=[0.373], norm_cfg=norm_cfg,
                mutable_cfg=dict(type='mmrazor.ReducibleMutableOP', candidates=candidates))
model = dict(
    _scope_='mmrazor',
    type='AdversarialTraining',
    architecture=dict(
        type='mmrazor.sub_model',
        cfg=dict(
            _scope_='mmpretrain',
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=16 * 8,
                      loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
        fix_subnet='{{fileDirname}}/ABANDIT_CIFAR_1.yaml'),
    attack=dict(type='pgd', eps=eps, alpha=step, steps=7),
    attack_bn='train')

train_pipeline = [dict(type='RandomCrop', crop_size=16, padding=2), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]
digits = dict(type='DigitsDataset', image_size=16, channels=1)
train_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(digits, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128, num_workers=0,
    dataset=dict(digits, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = dict(type='RobustAccuracy')

max_epochs = 30
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict(
    type='RobustTestLoop',
    attacks=[
        dict(name='FGSM', type='FGSM', eps=eps),
        dict(name='MI-FGSM-10', type='MIFGSM', eps=eps, alpha=step, steps=10, decay=1.0),
        dict(name='PGD-7', type='PGD', eps=eps, alpha=step, steps=7, random_start=True),
        dict(name='PGD-20', type='PGD', eps=eps, alpha=step, steps=20, random_start=True),
    ])
default_hooks = dict(logger=dict(type='LoggerHook', interval=20))
