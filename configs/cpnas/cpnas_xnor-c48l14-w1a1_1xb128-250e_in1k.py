# CP-NAS on ImageNet: a searched cell as a 1-bit (W1A1) network in DARTS's mobile setting
# (14 cells, C=48, ImageNet stem full precision, auxiliary head), XNOR convs binarizing their
# input and CP-NAS's binary separable design. CP-NAS reports W1A1 ImageNet results but did
# not release its network or schedule; this is DARTS's ImageNet network and schedule (see
# ../bnas/bnas-xnor-c48l14-1w32a_1xb128-250e_in1k.py). Train with the CP loss by wrapping it
# in ChildParentTrainer as cpnas_xnor-c36l20-w1a1_1xb96-600e_cifar10.py does.
_base_ = ['../bnas/bnas-xnor-c48l14-1w32a_1xb128-250e_in1k.py']
conv_cfg = dict(type='XNORConv2d', binary_activation=True)
op_design = 'cpnas'
model = dict(cfg=dict(backbone=dict(
    conv_cfg=conv_cfg,
    mutable_cfg=dict(candidates=dict(
        skip_connect=dict(conv_cfg=conv_cfg),
        sep_conv_3x3=dict(conv_cfg=conv_cfg, design=op_design),
        sep_conv_5x5=dict(conv_cfg=conv_cfg, design=op_design),
        dil_conv_3x3=dict(conv_cfg=conv_cfg, design=op_design),
        dil_conv_5x5=dict(conv_cfg=conv_cfg, design=op_design))))))
