# The README demo's 4-bit PAMS step: as the 8-bit one, with a 4-bit body.
_base_ = ['./pams_edsr-x2c32b4-w8a8_1xb16-300_skimage.py']
experiment_name = 'pams_edsr-x2c32b4-w4a4_1xb16-300_skimage'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(bits=4)
