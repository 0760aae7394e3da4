# The released 4-bit PAMS RDN (D=16, C=8, G=64) x4 (official 4bit_rdn_x4.pt or
# model_best.pth.tar), converted by tools/model_converters/pams_official.py
# --arch rdn-w4, evaluated as the official PAMS test does
# (configs/pams/_base_/pams_official_eval_x4.py). The official quantizer placement
# (quantize_all_conv_inputs=False; see projects/pams/README.md) and no teacher, which
# testing does not use. For tools/test.py; train with pams_rdn-x4c64b16-w4a4_1xb16-30k_div2k.py.
_base_ = [
    './pams_rdn-x4c64b16-w4a4_1xb16-30k_div2k.py',
    './_base_/pams_official_eval_x4.py',
]
experiment_name = 'pams_rdn-x4c64b16-w4a4_official-eval_benchmark'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(
    fp_checkpoint=None,
    skt_loss=None,
    with_teacher=False,
    quantize_all_conv_inputs=False,
    data_preprocessor={{_base_.pams_official_preprocessor}})
test_dataloader = {{_base_.pams_official_test_dataloaders}}
