# Full-precision RDN (D=16, C=8, G=64) x2: mmagic's own config and schedule, tested with
# the PAMS protocol (Y channel, four test sets). Also the PAMS teacher.
_base_ = [
    'mmagic::rdn/rdn_x2c64b16_1xb16-1000k_div2k.py',
    './_base_/pams_sisr_x2_test.py',
]
experiment_name = 'rdn-fp_x2c64b16_1xb16-1000k_div2k'
work_dir = f'./work_dirs/{experiment_name}'
test_dataloader = {{_base_.pams_test_dataloaders}}
test_evaluator = {{_base_.pams_test_evaluators}}
test_cfg = dict(type='MultiTestLoop')
val_dataloader = {{_base_.pams_val_dataloader}}
val_evaluator = {{_base_.pams_val_evaluator}}
