# The ABanditNAS search space (ECCV 2020, arXiv 2008.00698, Sec. 3.2): K = 9 ops,
# named as the official code (github.com/bczhangbczhang/ABanditNAS, models/darts_ops_1.py);
# pooling and skip connection are mmrazor's DartsPoolBN / DartsSkipConnect, the others
# mmlean.nas.robust_ops. No 'none' op. Search-time BN is not affine (official: affine=False
# in the search ops), so the denoising block's BN is not zero-initialised while searching.
norm_cfg = dict(type='BN', affine=False)
candidates = dict(
    max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max', norm_cfg=norm_cfg),
    avg_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='avg', norm_cfg=norm_cfg),
    skip_connect=dict(type='mmrazor.DartsSkipConnect', norm_cfg=norm_cfg),
    conv_3x3=dict(type='DilatedConvBN', kernel_size=3, dilation=2, norm_cfg=norm_cfg),
    conv_5x5=dict(type='DilatedConvBN', kernel_size=5, dilation=2, norm_cfg=norm_cfg),
    sep_conv_3x3=dict(type='FullSepConv', kernel_size=3, norm_cfg=norm_cfg),
    sep_conv_5x5=dict(type='FullSepConv', kernel_size=5, norm_cfg=norm_cfg),
    gab_filt_3x3=dict(type='DenoisingBlock', filter_type='gabor', norm_cfg=norm_cfg),
    dtp_blok_3x3=dict(type='DenoisingBlock', filter_type='dotp', norm_cfg=norm_cfg))
# pc_k: the official code has a partial-channel single-op module (SelectOp_PC, M = 4) beside
# the full one (SelectOp); which one the search used is not stated. 1 (full) by default.
mutable_cfg = dict(type='mmrazor.ReducibleMutableOP', candidates=candidates, pc_k=1)
# a node sums all its input edges while searching; the derived cell keeps one (num_inputs=1)
route_cfg = dict(type='mmrazor.DiffChoiceRoute', with_arch_param=False)
# CIFAR-10 normalization inside the model: inputs (and attacks) live in [0, 1]
cifar_mean = [0.4914, 0.4822, 0.4465]
cifar_std = [0.2470, 0.2435, 0.2616]
supernet_backbone = dict(
    type='mmrazor.ABanditBackbone',
    in_channels=3,
    base_channels=16,
    num_layers=6,
    num_cell_types=6,
    num_nodes=4,
    mutable_cfg=mutable_cfg,
    route_cfg=route_cfg,
    mean=cifar_mean,
    std=cifar_std,
    norm_cfg=norm_cfg)
# the preprocessor only scales to [0, 1] (a config sets it as its top-level data_preprocessor)
rgb_scale_preprocessor = dict(num_classes=10, mean=[0.0] * 3, std=[255.0] * 3, to_rgb=False)
