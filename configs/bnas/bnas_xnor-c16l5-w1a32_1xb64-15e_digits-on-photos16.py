# Retraining a BNAS cell on the 16x16 digits-on-photos proxy (scikit-learn's digits drawn on
# scikit-image photographs, no download; mmlean.datasets.DigitsOnPhotosDataset), the cell
# searched by bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py (or drawn
# at random by tools/analysis_tools/nas_random_cells.py: the evidence baseline):
#   python tools/train.py THIS --cfg-options model.fix_subnet=<work dir>/fix_subnet.yaml
# (default: the released BNAS_XNOR_1 cell). The network is the digits retraining's (5 cells,
# 16 initial channels, XNOR W1A32 convs, stem, post-reduction FactorizedReduce and classifier
# full precision, no auxiliary head); fresh training renders every epoch, the fixed test set
# of 3,240 renders of the held-out digits. The W1A1 twin:
# bnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py.
_base_ = [
    '../_base_/datasets/digits_on_photos16_bs64.py',
    './_base_/bnas_xnor_eval_net.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.nas'],
                      allow_failed_imports=False)

base_channels = 16
model = dict(cfg=dict(
    data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor),
    backbone=dict(base_channels=base_channels, num_layers=5, out_indices=(4, ), auxliary=False),
    head=dict(_delete_=True, type='LinearClsHead', num_classes=10,
              in_channels=16 * base_channels,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0))))

max_epochs = 15
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
                     clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ProgressBarHook'), dict(type='DropPathScheduleHook', max_prob=0.0)]
