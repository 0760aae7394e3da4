# The released 8-bit PAMS RDN (D=16, C=8, G=64) x4 (official 8bit_rdn_x4.pt or
# model_best.pth.tar), converted by tools/model_converters/pams_official.py
# --arch rdn-w8, evaluated as the official PAMS test does
# (configs/pams/_base_/pams_official_eval_x4.py). The official quantizer placement
# (quantize_all_conv_inputs=False; see projects/pams/README.md) and no teacher, which
# testing does not use. For tools/test.py; train with pams_rdn-x4c64b16-w8a8_1xb16-30k_div2k.py.
# As the 4-bit official-eval config, with an 8-bit body.
_base_ = ['./pams_rdn-x4c64b16-w4a4_official-eval_benchmark.py']
experiment_name = 'pams_rdn-x4c64b16-w8a8_official-eval_benchmark'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(bits=8)
