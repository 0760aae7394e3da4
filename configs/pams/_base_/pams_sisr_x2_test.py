# PAMS test protocol (official PAMS code, metrics/calculate_PSNR_SSIM.m and
# metrics/run.sh): Set5, Set14, B100 and Urban100 in mmagic's SISR layout
# (data/<Set>/GTmod12 and data/<Set>/LRbicx2), PSNR and SSIM on the Y
# channel with crop border = scale, as the paper's MATLAB script measures
# them (mmagic's stock configs report RGB). Names carry a pams_ prefix so this
# file can sit beside an mmagic config in _base_; a config picks them up with
# {{_base_.pams_...}}.
pams_scale = 2
pams_test_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='PackInputs')
]
pams_test_sets = ['Set5', 'Set14', 'B100', 'Urban100']
pams_test_dataloaders = [
    dict(num_workers=4, persistent_workers=False, drop_last=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=dict(type='BasicImageDataset',
                      data_root=f'data/{name}',
                      data_prefix=dict(img=f'LRbicx{pams_scale}', gt='GTmod12'),
                      pipeline=pams_test_pipeline))
    for name in pams_test_sets
]
pams_test_evaluators = [
    dict(type='Evaluator', metrics=[
        dict(type='PSNR', crop_border=pams_scale, convert_to='Y', prefix=name),
        dict(type='SSIM', crop_border=pams_scale, convert_to='Y', prefix=name)])
    for name in pams_test_sets
]
# validation during training: Set14, as the official code does
pams_val_dataloader = dict(pams_test_dataloaders[1], _delete_=True)
pams_val_evaluator = dict(_delete_=True, type='Evaluator', metrics=[
    dict(type='PSNR', crop_border=pams_scale, convert_to='Y'),
    dict(type='SSIM', crop_border=pams_scale, convert_to='Y')])
