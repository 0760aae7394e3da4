# PAMS 8-bit RDN (D=16, C=8, G=64) x4 on DIV2K (Li et al., ECCV 2020): the FP config's
# generator with a 8-bit body, student and teacher initialised from the FP
# model (train rdn-fp_x4c64b16_1xb16-1000k_div2k.py first).
_base_ = [
    './rdn-fp_x4c64b16_1xb16-1000k_div2k.py',
    './_base_/pams_schedule_30k.py',
]
experiment_name = 'pams_rdn-x4c64b16-w8a8_1xb16-30k_div2k'
work_dir = f'./work_dirs/{experiment_name}'
custom_imports = dict(imports=['mmlean.projects.pams'], allow_failed_imports=False)
model = dict(
    type='PAMS',
    bits=8,
    fp_checkpoint='work_dirs/rdn-fp_x4c64b16_1xb16-1000k_div2k/iter_1000000.pth',
    skt_loss=dict(type='ATLoss', loss_weight=1000.0),
    quantize_all_conv_inputs=True)
train_cfg = {{_base_.pams_train_cfg}}
optim_wrapper = {{_base_.pams_optim_wrapper}}
param_scheduler = {{_base_.pams_param_scheduler}}
custom_hooks = {{_base_.pams_custom_hooks}}
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=3))
# HR patch 96 (official run.sh and default)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='SetValues', dictionary=dict(scale=4)),
    dict(type='PairedRandomCrop', gt_patch_size=96),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs')
]))
