# CP-NAS search on scikit-learn's digits (no download): the 1-bit (W1A1) child supernet,
# the BNAS digits supernet with XNOR convs binarizing their input and CP-NAS's binary
# separable design (binary dw -> BN -> binary 1x1 -> BN, no ReLU; Zhuo et al., IJCAI 2020,
# arXiv 2005.00057), and its full-precision parent (the same config with Conv2d, built by
# the algorithm). Every round samples each op of every edge once (T = 1 on this proxy, 3 on
# CIFAR-10), trains child and parent on the path (8 iterations here; one epoch on CIFAR-10),
# and scores it with z = beta_P (A_P - A_C) + A_C. No warm-up and no supernet epochs between
# reductions (the paper's algorithm has none). 35 paths: 8 + 7 + ... + 2.
_base_ = ['../bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py']
custom_imports = dict(imports=['mmlean.projects.cpnas'], allow_failed_imports=False)

conv_cfg = dict(type='XNORConv2d', binary_activation=True)
op_design = 'cpnas'
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='CPNAS',
    beta_p=0.5,
    architecture=dict(
        _base_.model.architecture,
        backbone=dict(
            _base_.nas_backbone,
            conv_cfg=conv_cfg,
            mutable_cfg=dict(
                _base_.mutable_cfg,
                candidates=dict(
                    _base_.candidates,
                    skip_connect=dict(type='BinarySkipConnect', conv_cfg=conv_cfg),
                    sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3, conv_cfg=conv_cfg,
                                      design=op_design),
                    sep_conv_5x5=dict(type='BinarySepConv', kernel_size=5, conv_cfg=conv_cfg,
                                      design=op_design),
                    dil_conv_3x3=dict(type='BinaryDilConv', kernel_size=3, conv_cfg=conv_cfg,
                                      design=op_design),
                    dil_conv_5x5=dict(type='BinaryDilConv', kernel_size=5, conv_cfg=conv_cfg,
                                      design=op_design))),
            out_indices=(4, ))),
    mutator=dict(type='SampleReduceMutator', scorer=dict(type='ChildParentScorer', rounds=1)))

optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
                      clip_grad=dict(max_norm=5, norm_type=2)),
    parent=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
                clip_grad=dict(max_norm=5, norm_type=2)))
train_cfg = dict(warmup_epochs=0, arch_start=0, epochs_between=0)
num_steps = 35
param_scheduler = dict(
    _delete_=True,
    architecture=dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.0, by_epoch=True,
                      begin=0, end=num_steps),
    parent=dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.0, by_epoch=True,
                begin=0, end=num_steps))
