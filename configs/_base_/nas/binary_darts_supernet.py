# The BNAS search space on mmrazor's DartsBackbone: the 8 candidate ops of the
# official BNAS code (utils/genotypes_x.py PRIMITIVES; 'none' is mmrazor's
# 'zero'), binarized convs inside sep/dil convs, the binarized skip_connect
# (FactorizedReduce) at stride 2, binarized cell preprocessing (official
# models/darts_cell_x.py); PC-DARTS partial channels (K = 4) and edge
# normalization (DiffChoiceRoute with beta).
# conv_cfg decides the twin: XNORConv2d (W1A32, AAAI BNAS), XNORConv2d with
# binary_activation=True (W1A1, IJCV BNAS) or Conv2d (the full-precision twin).
conv_cfg = dict(type='XNORConv2d', binary_activation=False)
candidates = dict(
    max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max'),
    avg_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='avg'),
    skip_connect=dict(type='BinarySkipConnect', conv_cfg=conv_cfg),
    sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3, conv_cfg=conv_cfg),
    sep_conv_5x5=dict(type='BinarySepConv', kernel_size=5, conv_cfg=conv_cfg),
    dil_conv_3x3=dict(type='BinaryDilConv', kernel_size=3, conv_cfg=conv_cfg),
    dil_conv_5x5=dict(type='BinaryDilConv', kernel_size=5, conv_cfg=conv_cfg),
    zero=dict(type='mmrazor.DartsZero'),
)
mutable_cfg = dict(type='mmrazor.ReducibleMutableOP', candidates=candidates, pc_k=4)
route_cfg = dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True)
nas_backbone = dict(
    type='mmrazor.BinaryDartsBackbone',
    in_channels=3,
    base_channels=16,
    num_layers=8,
    num_nodes=4,
    stem_multiplier=3,
    out_indices=(7, ),
    mutable_cfg=mutable_cfg,
    route_cfg=route_cfg,
    conv_cfg=conv_cfg,
    norm_cfg=dict(type='BN', affine=False))
