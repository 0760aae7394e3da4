# CSRNet (Li et al., CVPR 2018) through the same pipeline: VGG-16 front end (mmpretrain's
# VGG, first ten convs, output stride 8) + dilated back end (configuration B) + 1x1 output
# conv, MSE loss. CSRNet starts from ImageNet VGG-16 weights; nothing is downloaded here, so
# the front end is trained from scratch unless you set
#   model.backbone.init_cfg=dict(type='Pretrained', checkpoint=<local vgg16 checkpoint>)
# Schedule: the same as the AMSNet retraining (Adam 1e-3; CSRNet used SGD 1e-7 on a summed
# loss, which does not transfer to this short run).
_base_ = ['./_base_/synthetic_crowd.py', './_base_/counting_runtime.py']

model = dict(
    type='CrowdCounter',
    output_stride=8,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=16),
    backbone=dict(type='mmpretrain.VGG', depth=16, num_stages=4, dilations=(1, 1, 1, 1),
                  out_indices=(3, ), with_last_pool=False, init_cfg=None),
    neck=dict(type='CSRNetBackEnd', in_channels=512, dilation=2),
    head=dict(type='DensityHead', in_channels=64, density_scale=100.0,
              loss=dict(type='SPPLoss', levels=0)))

max_epochs = 60
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-6, by_epoch=True,
                        begin=0, end=max_epochs)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=20)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(interval=20, save_best='count/MAE', rule='less'))
