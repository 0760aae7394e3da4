# The int8 deployment check's FP model: EDSR-baseline x4 (64 channels, 16
# blocks, the shapes tools/benchmark/pams_int8.py times) trained briefly on
# the scikit-image photographs of the README demo (x4 LR from
# tools/dataset_converters/skimage_sr.py --scale 4). Short on purpose (CPU):
# it is a real SR model (above bicubic on chelsea and coffee) whose
# activations have the statistics of a trained network, which is what the
# post-training quantization of the upsampler and the last conv is checked on.
_base_ = ['./edsr-fp_x2c32b4_1xb16-1k_skimage.py']
experiment_name = 'edsr-fp_x4c64b16_1xb16-300_skimage'
work_dir = f'./work_dirs/{experiment_name}'
scale = 4
iters = 300

model = dict(generator=dict(mid_channels=64, num_blocks=16, upscale_factor=scale))
load = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
]
train_dataloader = dict(dataset=dict(
    data_prefix=dict(img=f'LRbicx{scale}', gt='GT'),
    pipeline=load + [
        dict(type='SetValues', dictionary=dict(scale=scale)),
        dict(type='PairedRandomCrop', gt_patch_size=96),
        dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
        dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
        dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
        dict(type='PackInputs')
    ]))
test_dataloader = dict(dataset=dict(data_prefix=dict(img=f'LRbicx{scale}', gt='GTmod12')))
val_dataloader = test_dataloader
test_evaluator = dict(type='Evaluator', metrics=[
    dict(type='PSNR', crop_border=scale, convert_to='Y'),
    dict(type='SSIM', crop_border=scale, convert_to='Y')])
val_evaluator = test_evaluator
train_cfg = dict(max_iters=iters, val_interval=iters)
param_scheduler = dict(T_max=iters)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=iters))
