# PAMS 4-bit EDSR-baseline (16 blocks, 64 channels) x4 on DIV2K (Li et al., ECCV 2020): the FP config's
# generator with a 4-bit body, student and teacher initialised from the FP
# model (train edsr-fp_x4c64b16_1xb16-300k_div2k.py first).
_base_ = [
    './edsr-fp_x4c64b16_1xb16-300k_div2k.py',
    './_base_/pams_schedule_30k.py',
]
experiment_name = 'pams_edsr-x4c64b16-w4a4_1xb16-30k_div2k'
work_dir = f'./work_dirs/{experiment_name}'
custom_imports = dict(imports=['mmlean.projects.pams'], allow_failed_imports=False)
model = dict(
    type='PAMS',
    bits=4,
    fp_checkpoint='work_dirs/edsr-fp_x4c64b16_1xb16-300k_div2k/iter_300000.pth',
    skt_loss=dict(type='ATLoss', loss_weight=1000.0),
    quantize_all_conv_inputs=True)
train_cfg = {{_base_.pams_train_cfg}}
optim_wrapper = {{_base_.pams_optim_wrapper}}
param_scheduler = {{_base_.pams_param_scheduler}}
custom_hooks = {{_base_.pams_custom_hooks}}
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=3))
# HR patch 192 (official run.sh for EDSR x4)
train_dataloader = {{_base_.pams_div2k_train_x4_patch192}}
