# The README demo's PAMS step: the small FP EDSR x2 of
# edsr-fp_x2c32b4_1xb16-1k_skimage.py quantized to 8 bits (weights and
# activations of the body) and trained with L1 + SKT from itself as teacher.
# The paper's recipe (Adam 1e-4, alpha 1e-2, alpha from the data during the
# first 1/30 of training) on a 300-iteration budget.
_base_ = ['./edsr-fp_x2c32b4_1xb16-1k_skimage.py', '../_base_/pams_schedule_30k.py']
experiment_name = 'pams_edsr-x2c32b4-w8a8_1xb16-300_skimage'
work_dir = f'./work_dirs/{experiment_name}'
custom_imports = dict(imports=['mmlean.projects.pams'], allow_failed_imports=False)
iters = 300
model = dict(
    type='PAMS',
    bits=8,
    fp_checkpoint='work_dirs/edsr-fp_x2c32b4_1xb16-1k_skimage/iter_1000.pth',
    skt_loss=dict(type='ATLoss', loss_weight=1000.0))
train_cfg = dict(max_iters=iters, val_interval=iters)
optim_wrapper = {{_base_.pams_optim_wrapper}}
param_scheduler = dict(_delete_=True, type='MultiStepLR', by_epoch=False,
                       milestones=[150, 225], gamma=0.5)
custom_hooks = [dict(type='PAMSCalibrationHook', calib_iters=30)]
default_hooks = dict(checkpoint=dict(interval=iters))
