# The searched AMSNet retrained from scratch on UCF_CC_50 (one fold) with the searched SPPLoss
# pooling. fix_subnet: the YAML our synthetic-set search derived (no search on this set was
# run here); use your own search's with
#   --cfg-options model.fix_subnet=work_dirs/<search>/fix_subnet.yaml
# Unverified (our choices): 400 epochs, batch 4, Adam 1e-4 (wd 1e-4) with cosine decay.
_base_ = [
    './_base_/amsnet_supernet_c32.py', './_base_/ucf-cc-50.py',
    './_base_/counting_runtime.py'
]

model = dict(
    type='mmrazor.sub_model',
    cfg=dict(_base_.supernet),
    fix_subnet='{{fileDirname}}/AMSNet_synthetic-crowd.yaml')
max_epochs = 400
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-6, by_epoch=True,
                        begin=0, end=max_epochs)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(interval=5, save_best='count/MAE', rule='less'))
