# The released full-precision EDSR-baseline (16 blocks, 64 channels) x4 (EDSR-PyTorch's edsr_baseline_x4.pt, the official PAMS teacher),
# converted by tools/model_converters/pams_official.py --arch edsr-fp, evaluated as the
# official PAMS test does (configs/pams/_base_/pams_official_eval_x4.py). For tools/test.py;
# train with edsr-fp_x4c64b16_1xb16-300k_div2k.py.
_base_ = [
    './edsr-fp_x4c64b16_1xb16-300k_div2k.py',
    './_base_/pams_official_eval_x4.py',
]
experiment_name = 'edsr-fp_x4c64b16_official-eval_benchmark'
work_dir = f'./work_dirs/{experiment_name}'
custom_imports = dict(imports=['mmlean.projects.pams'], allow_failed_imports=False)
# EDSRNet subtracts rgb_mean itself: on 0..255 inputs that is 255 x the DIV2K mean, as the
# official MeanShift(rgb_range=255).
model = dict(
    generator=dict(rgb_mean=[255 * 0.4488, 255 * 0.4371, 255 * 0.4040],
                   rgb_std=[1., 1., 1.]),
    data_preprocessor={{_base_.pams_official_preprocessor}})
test_dataloader = {{_base_.pams_official_test_dataloaders}}
