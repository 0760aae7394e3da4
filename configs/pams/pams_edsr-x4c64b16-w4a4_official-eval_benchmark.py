# The released 4-bit PAMS EDSR-baseline (16 blocks, 64 channels) x4 (official 4bit_edsr_x4.pt or
# model_best.pth.tar), converted by tools/model_converters/pams_official.py
# --arch edsr-w4, evaluated as the official PAMS test does
# (configs/pams/_base_/pams_official_eval_x4.py). The official quantizer placement
# (quantize_all_conv_inputs=False; see projects/pams/README.md) and no teacher, which
# testing does not use. For tools/test.py; train with pams_edsr-x4c64b16-w4a4_1xb16-30k_div2k.py.
_base_ = [
    './pams_edsr-x4c64b16-w4a4_1xb16-30k_div2k.py',
    './_base_/pams_official_eval_x4.py',
]
experiment_name = 'pams_edsr-x4c64b16-w4a4_official-eval_benchmark'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(
    fp_checkpoint=None,
    skt_loss=None,
    with_teacher=False,
    quantize_all_conv_inputs=False,
    generator=dict(rgb_mean=[255 * 0.4488, 255 * 0.4371, 255 * 0.4040],
                   rgb_std=[1., 1., 1.]),
    data_preprocessor={{_base_.pams_official_preprocessor}})
test_dataloader = {{_base_.pams_official_test_dataloaders}}
