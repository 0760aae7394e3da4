# How the official PAMS code evaluates its released x4 models (colorjam/PAMS main.py
# test, data/benchmark.py, utility.py), for the *_official-eval configs:
# - the benchmark sets in EDSR-PyTorch's layout, as the official README has them
#   (data/benchmark/<Set>/HR/<name>.png, data/benchmark/<Set>/LR_bicubic/X4/<name>x4.png),
#   the HR image cropped to 4x the LR size (hr[0:ih*4, 0:iw*4]: mmagic's ModCrop);
# - pixel values 0..255 into the network (rgb_range 255): mean 0, std 1;
# - the SR image clamped to 0..255 and rounded (utility.quantize), then PSNR and SSIM
#   on the Y channel with a border of 4 (shave = scale), batch 1.
pams_official_scale = 4
pams_official_preprocessor = dict(
    type='RoundedOutputDataPreprocessor', mean=[0., 0., 0.], std=[1., 1., 1.])
pams_official_test_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='SetValues', dictionary=dict(scale=pams_official_scale)),
    dict(type='ModCrop', key='gt'),
    dict(type='PackInputs')
]
pams_official_test_sets = ['Set5', 'Set14', 'B100', 'Urban100']
pams_official_test_dataloaders = [
    dict(batch_size=1, num_workers=4, persistent_workers=False, drop_last=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=dict(type='BasicImageDataset',
                      data_root=f'data/benchmark/{name}',
                      data_prefix=dict(img=f'LR_bicubic/X{pams_official_scale}', gt='HR'),
                      filename_tmpl=dict(img=f'{{}}x{pams_official_scale}', gt='{}'),
                      search_key='gt',
                      pipeline=pams_official_test_pipeline))
    for name in pams_official_test_sets
]
