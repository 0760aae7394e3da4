# PAMS training schedule (official PAMS code, main.py, option.py and run.sh):
# 30 "epochs" of 1000 iterations, batch 16, Adam(0.9, 0.999), lr 1e-4 for the
# weights and 1e-2 for every alpha (lr_mult 100, no decay), halved every 10
# epochs; alpha initialised from the data during epoch 1. Names carry a
# pams_ prefix (see pams_sisr_x4_test.py).
pams_train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=30000,
                      val_interval=1000)
pams_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    # the frozen teacher stays out of the parameter walk (one log line, not a warning each)
    constructor='SkipFrozenOptimWrapperConstructor',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
    paramwise_cfg=dict(custom_keys={'.alpha': dict(lr_mult=100.0, decay_mult=0.0)}))
pams_param_scheduler = dict(
    _delete_=True, type='MultiStepLR', by_epoch=False, milestones=[10000, 20000], gamma=0.5)
pams_custom_hooks = [dict(type='PAMSCalibrationHook', calib_iters=1000)]


# DIV2K training augmentation of the official code: an HR patch of `patch` pixels
# (official run.sh: 192 for EDSR x4, else the default 96), random flips and transposes.
def _pams_div2k_train(scale, patch):
    load = dict(type='LoadImageFromFile', color_type='color', channel_order='rgb',
                imdecode_backend='cv2')
    return dict(dataset=dict(pipeline=[
        dict(load, key='img'),
        dict(load, key='gt'),
        dict(type='SetValues', dictionary=dict(scale=scale)),
        dict(type='PairedRandomCrop', gt_patch_size=patch),
        dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
        dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
        dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
        dict(type='PackInputs')
    ]))


pams_div2k_train_x4_patch192 = _pams_div2k_train(4, 192)
pams_div2k_train_x4_patch96 = _pams_div2k_train(4, 96)
pams_div2k_train_x2_patch96 = _pams_div2k_train(2, 96)
