# The BNAS evaluation network (BNAS, AAAI 2020, arXiv 1911.10862; official test
# code github.com/bczhangbczhang/BNAS: models/darts_{ops,cell,cnn}_x.py,
# script/cifar10_test_xnor.sh): the searched cell BNAS_XNOR_1 stacked 20 times
# (reduction cells at 1/3 and 2/3) with 36 initial channels, auxiliary head
# after cell 13, on CIFAR-10. XNOR convs (one alpha = mean|W| per layer, 1-bit
# weights, full-precision activations: W1A32) in every candidate-op conv and in
# the cells' ReLU-Conv1x1-BN preprocessing; full precision: stem, the
# FactorizedReduce after reduction cells, auxiliary head, classifier.
# BN eps 1e-3, momentum 0.1: the official test code sets them
# (set_bn_param(0.1, 1e-3)) before loading its checkpoints.
norm_cfg = dict(type='BN', eps=1e-3, momentum=0.1)
conv_cfg = dict(type='XNORConv2d')  # binary_activation=False: W1A32
op_design = 'darts'  # ReLU -> binary dw -> binary 1x1 -> BN, as the official DilConv
binary_op = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, use_drop_path=True)
mutable_cfg = dict(
    type='mmrazor.DiffMutableOP',
    candidates=dict(
        zero=dict(type='mmrazor.DartsZero'),
        skip_connect=dict(type='BinarySkipConnect', **binary_op),
        max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max', norm_cfg=norm_cfg,
                          use_drop_path=True),
        avg_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='avg', norm_cfg=norm_cfg,
                          use_drop_path=True),
        sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3, design=op_design, **binary_op),
        sep_conv_5x5=dict(type='BinarySepConv', kernel_size=5, design=op_design, **binary_op),
        dil_conv_3x3=dict(type='BinaryDilConv', kernel_size=3, design=op_design, **binary_op),
        dil_conv_5x5=dict(type='BinaryDilConv', kernel_size=5, design=op_design, **binary_op)))
# once the subnet is fixed the route only sums the two kept edges
route_cfg = dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True)

base_channels = 36
num_layers = 20
backbone = dict(
    type='mmrazor.BinaryDartsBackbone',
    in_channels=3,
    base_channels=base_channels,
    num_layers=num_layers,
    num_nodes=4,
    out_indices=(num_layers - 1, ),
    auxliary=True,
    aux_channels=128,
    aux_out_channels=768,
    mutable_cfg=mutable_cfg,
    route_cfg=route_cfg,
    conv_cfg=conv_cfg,
    norm_cfg=norm_cfg,
    stem_type='cifar')
architecture = dict(
    type='ImageClassifier',
    backbone=backbone,
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mmrazor.DartsAuxClsHead',  # mmrazor's DartsSubnetClsHead, fixed
        num_classes=10,
        in_channels=16 * base_channels,  # 4 nodes x 4C after two reductions
        aux_in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        aux_loss=dict(type='CrossEntropyLoss', loss_weight=0.4),
        topk=(1, 5),
        cal_acc=True))
model = dict(
    type='mmrazor.sub_model',
    cfg=architecture,
    fix_subnet='{{fileDirname}}/../BNAS_XNOR_1.yaml')
