# 1-bit (W1A1) twin of bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py, as
# bnas_xnor-c16l5-w1a1_1xb64-30e_digits.py is of its W1A32 config: XNOR convs that binarize
# their input too (sign(x - mean), clipped STE) and the CP-NAS binary separable design
# (binary dw -> BN -> binary 1x1 -> BN, no ReLU). For the cell searched by
# bnas_xnor-w1a1-ucb_supernet-c16-l5_1xb64-search_digits-on-photos16.py:
#   python tools/train.py THIS --cfg-options model.fix_subnet=<work dir>/fix_subnet.yaml
_base_ = ['./bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py']
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
