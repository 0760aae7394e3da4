# CSRNet at the AMSNet retraining's budget on the synthetic crowd set: the same data, crops,
# batch, 40 epochs (600 iterations), Adam 1e-3 with the same cosine schedule and the same
# MSE-on-density loss as AMSNet's plain-MSE twin. Deviation, on purpose: CSRNet (Li et al.,
# CVPR 2018) has no BatchNorm because it starts from ImageNet VGG-16 weights; nothing is
# downloaded here, so to make training from scratch practical this variant puts BN after
# every conv of the front and back end (mmpretrain VGG-16 with `norm_cfg`). The plain config is
# csrnet_vgg16_1xb8-60e_synthetic-crowd.py.
_base_ = ['./csrnet_vgg16_1xb8-60e_synthetic-crowd.py']

model = dict(
    backbone=dict(norm_cfg=dict(type='BN')),
    neck=dict(norm_cfg=dict(type='BN')))

max_epochs = 40
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
                        begin=0, end=max_epochs)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10**6)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best=None))
