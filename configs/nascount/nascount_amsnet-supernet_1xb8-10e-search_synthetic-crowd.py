# NAS-Count search (Hu et al., ECCV 2020, arXiv 2003.00217) of AMSNet and the SPPLoss
# pooling on the synthetic crowd set, by first-order DARTS (mmrazor Darts, with mmlean's
# fix that keeps the two splits' gradients apart). As DARTS does, the training split is
# halved: images 0-59 train the weights, 60-119 the architecture parameters (alpha of the
# cells, beta of the macro routes, gamma of the SPPLoss pooling; all on the SPPLoss of the
# architecture split). The search space is in _base_/amsnet_supernet.py; which choices are
# ours (most: the paper's Sec. 3 was not checked) is in projects/nascount/README.md.
# ExportSubnetHook writes work_dir/fix_subnet.yaml and searched_cells.png at the end.
_base_ = ['./_base_/amsnet_supernet.py', './_base_/synthetic_crowd.py',
          './_base_/counting_runtime.py']

model = dict(
    type='mmrazor.Darts',
    architecture=_base_.supernet,
    mutator=dict(type='mmrazor.NasMutator'),
    unroll=False)

train_dataloader = dict(dataset=dict(indices=list(range(60))))
mutator_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(type='CrowdCountingDataset', layout='shanghaitech',
                 data_root=_base_.data_root, split='train', indices=list(range(60, 120)),
                 pipeline=_base_.train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))

max_epochs = 10
# weights: Adam 1e-3 (our choice for short CPU runs; DARTS uses SGD 0.025); architecture:
# Adam with DARTS's betas and weight decay, a larger lr (3e-3 vs 3e-4) for the short search
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4),
                      clip_grad=dict(max_norm=5, norm_type=2)),
    mutator=dict(optimizer=dict(type='Adam', lr=3e-3, betas=(0.5, 0.999), weight_decay=1e-3)))
param_scheduler = dict(
    architecture=dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
                      begin=0, end=max_epochs),
    mutator=dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=max_epochs))
train_cfg = dict(type='mmrazor.DartsEpochBasedTrainLoop', mutator_dataloader=mutator_dataloader,
                 max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='ExportSubnetHook')]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
# distributed runs: DDP that runs the first-order DARTS step and keeps the state-dict keys
model_wrapper_cfg = dict(type='FirstOrderDartsDDP', find_unused_parameters=True)
