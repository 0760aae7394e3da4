# ABanditNAS-10 with the released ABANDIT_CIFAR_1 cells (ECCV 2020, arXiv 2008.00698, Table 3:
# PGD-7 58.74%, PGD-20 50.51% on CIFAR-10; official test code github.com/bczhangbczhang/ABanditNAS),
# C = 48, 10 cells, auxiliary head (weight 0.4), manual denoising blocks on, trained with PGD-7
# (eps 8/255 = 0.031, step 2/255 = 0.0078, random start) on CIFAR-10 in data/cifar10.
# The final-training schedule is not published: SGD 0.1 (momentum 0.9, wd 3e-4), cosine over
# 200 epochs, batch 128, drop path 0 are our choices. Testing (tools/test.py) reports clean,
# FGSM, MI-FGSM-10, PGD-7 and PGD-20 accuracy (torchattacks, the official evaluation's attacks).
_base_ = ['./_base_/abandit_eval_net.py', '../_base_/datasets/cifar10_bs256.py',
          '../_base_/default_runtime.py']
custom_imports = dict(imports=['mmlean.projects.abanditnas'], allow_failed_imports=False)

eps, step = 8 / 255, 2 / 255
data_preprocessor = _base_.rgb_scale_preprocessor
model = dict(
    _scope_='mmrazor',
    type='AdversarialTraining',
    architecture=dict(type='mmrazor.sub_model', cfg=_base_.architecture,
                      fix_subnet='{{fileDirname}}/ABANDIT_CIFAR_1.yaml'),
    attack=dict(type='pgd', eps=eps, alpha=step, steps=7),
    attack_bn='train')
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader

max_epochs = 200
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True,
                       begin=0, end=max_epochs)
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
test_evaluator = dict(_delete_=True, type='RobustAccuracy')  # not the base's Accuracy(topk)
auto_scale_lr = dict(base_batch_size=128)
