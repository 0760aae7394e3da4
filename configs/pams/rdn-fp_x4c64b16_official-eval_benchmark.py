# The released full-precision RDN (D=16, C=8, G=64) x4 (the official PAMS rdn_baseline_x4.pt teacher),
# converted by tools/model_converters/pams_official.py --arch rdn-fp, evaluated as the
# official PAMS test does (configs/pams/_base_/pams_official_eval_x4.py). For tools/test.py;
# train with rdn-fp_x4c64b16_1xb16-1000k_div2k.py.
_base_ = [
    './rdn-fp_x4c64b16_1xb16-1000k_div2k.py',
    './_base_/pams_official_eval_x4.py',
]
experiment_name = 'rdn-fp_x4c64b16_official-eval_benchmark'
work_dir = f'./work_dirs/{experiment_name}'
custom_imports = dict(imports=['mmlean.projects.pams'], allow_failed_imports=False)
# RDN has no mean shift: the official model reads 0..255 directly.
model = dict(
    data_preprocessor={{_base_.pams_official_preprocessor}})
test_dataloader = {{_base_.pams_official_test_dataloaders}}
