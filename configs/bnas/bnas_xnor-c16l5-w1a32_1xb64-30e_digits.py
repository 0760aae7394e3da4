# Retraining a cell searched on digits (configs/bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-
# search_digits.py) from scratch, on the same 16x16 digits: the searched cells stacked as in
# the search supernet (5 cells, 16 initial channels), XNOR W1A32 convs as BNAS's evaluation
# network (stem, post-reduction FactorizedReduce and classifier full precision); no auxiliary
# head at this depth. Train on the 80% split, test on the held-out 20%.
#   python tools/train.py THIS --cfg-options model.fix_subnet=work_dirs/<search>/fix_subnet.yaml
# (default: the released BNAS_XNOR_1 cell). The FP twin: bnas-fp_c16l5_1xb64-30e_digits.py.
_base_ = ['./_base_/bnas_xnor_eval_net.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.nas'],
                      allow_failed_imports=False)

data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor', num_classes=10, mean=[78.0] * 3,
                         std=[95.0] * 3, to_rgb=False)
base_channels = 16
model = dict(cfg=dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(base_channels=base_channels, num_layers=5, out_indices=(4, ), auxliary=False),
    head=dict(_delete_=True, type='LinearClsHead', num_classes=10,
              in_channels=16 * base_channels,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0))))

train_pipeline = [dict(type='RandomCrop', crop_size=16, padding=2), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(type='DigitsDataset', split='train', image_size=16, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256, num_workers=0,
    dataset=dict(type='DigitsDataset', split='test', image_size=16, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 30
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ProgressBarHook'), dict(type='DropPathScheduleHook', max_prob=0.0)]
