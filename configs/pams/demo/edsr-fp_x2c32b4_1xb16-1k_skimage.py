# The README demo's full-precision model: a small EDSR x2 (32 channels, 4
# blocks; mmagic's EDSRNet) trained on HR sub-images of scikit-image's
# photographs and tested on the others (tools/dataset_converters/skimage_sr.py
# writes them; mmagic's SISR layout). PSNR/SSIM on Y, crop border = scale.
_base_ = ['mmagic::_base_/default_runtime.py']
experiment_name = 'edsr-fp_x2c32b4_1xb16-1k_skimage'
work_dir = f'./work_dirs/{experiment_name}'
scale = 2
data_root = 'data/skimage_sr'
iters = 1000

model = dict(
    type='BaseEditModel',
    generator=dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=32,
                   num_blocks=4, upscale_factor=scale, res_scale=1,
                   rgb_mean=[0.4488, 0.4371, 0.4040], rgb_std=[1.0, 1.0, 1.0]),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0, reduction='mean'),
    train_cfg=dict(),
    test_cfg=dict(),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))

load = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
]
train_pipeline = load + [
    dict(type='SetValues', dictionary=dict(scale=scale)),
    dict(type='PairedRandomCrop', gt_patch_size=64),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs')
]
test_pipeline = load + [dict(type='PackInputs')]
train_dataloader = dict(
    num_workers=0, batch_size=16, drop_last=True, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BasicImageDataset',
                 data_root=data_root + '/train', data_prefix=dict(img=f'LRbicx{scale}', gt='GT'),
                 pipeline=train_pipeline))
test_dataloader = dict(
    num_workers=0, batch_size=1, drop_last=False, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BasicImageDataset',
                 data_root=data_root + '/test', data_prefix=dict(img=f'LRbicx{scale}', gt='GTmod12'),
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='Evaluator', metrics=[
    dict(type='PSNR', crop_border=scale, convert_to='Y'),
    dict(type='SSIM', crop_border=scale, convert_to='Y')])
val_evaluator = test_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.999)))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, T_max=iters, eta_min=1e-5)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=iters, out_dir=None, save_best=None, max_keep_ckpts=1))
custom_hooks = []
randomness = dict(seed=0)
