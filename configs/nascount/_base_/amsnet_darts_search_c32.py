# The NAS-Count search (NAS-Count, Hu et al., ECCV 2020, arXiv 2003.00217: AMSNet + SPPLoss
# pooling "searched end-to-end with differentiable NAS") as first-order DARTS (mmrazor Darts)
# over the AMSNet supernet at C = 32, for the real datasets. A leaf config adds its dataset
# (./<dataset>.py) and halves its training split as DARTS does (SplitDataset, train_portion
# 0.5): the first half trains the weights, the second the architecture parameters (cells,
# macro routes, SPPLoss pooling).
# Unverified (the paper's Sec. 4 was not checked), our choices: the search space
# (amsnet_supernet*.py), 100 epochs, batch 4, Adam 1e-4 for the weights and DARTS's
# Adam 3e-4 (betas 0.5, 0.999, wd 1e-3) for the architecture.
# ExportSubnetHook writes work_dir/fix_subnet.yaml for the retraining config.
_base_ = ['./amsnet_supernet_c32.py', './counting_runtime.py']

model = dict(
    type='mmrazor.Darts',
    architecture=dict(_base_.supernet),
    mutator=dict(type='mmrazor.NasMutator'),
    unroll=False)
max_epochs = 100
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4),
                      clip_grad=dict(max_norm=5, norm_type=2)),
    mutator=dict(optimizer=dict(type='Adam', lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)))
param_scheduler = dict(
    architecture=dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-6, by_epoch=True,
                      begin=0, end=max_epochs),
    mutator=dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=max_epochs))
train_cfg = dict(type='mmrazor.DartsEpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ExportSubnetHook', interval=10)]
# distributed runs: DDP that runs the first-order DARTS step and keeps the state-dict keys
model_wrapper_cfg = dict(type='FirstOrderDartsDDP', find_unused_parameters=True)
