# Retraining the searched AMSNet from scratch on the synthetic crowd set, with the
# searched SPPLoss pooling (both come from the fix_subnet; the YAML in this folder is the
# one our synthetic search derived, see projects/nascount/README.md; pass your own with
# --cfg-options model.fix_subnet=work_dirs/<search>/fix_subnet.yaml).
_base_ = ['./_base_/amsnet_supernet.py', './_base_/synthetic_crowd.py',
          './_base_/counting_runtime.py']

model = dict(
    type='mmrazor.sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{fileDirname}}/AMSNet_synthetic-crowd.yaml')

max_epochs = 60
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
                        begin=0, end=max_epochs)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=20)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(interval=20, save_best='count/MAE', rule='less'))
