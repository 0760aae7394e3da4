# PAMS 8-bit: as pams_rdn-x2c64b16-w4a4_1xb16-30k_div2k.py, with an 8-bit body.
_base_ = ['./pams_rdn-x2c64b16-w4a4_1xb16-30k_div2k.py']
experiment_name = 'pams_rdn-x2c64b16-w8a8_1xb16-30k_div2k'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(bits=8)
