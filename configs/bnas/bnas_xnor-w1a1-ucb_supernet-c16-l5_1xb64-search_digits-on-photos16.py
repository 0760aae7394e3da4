# The 1-bit (W1A1) BNAS search with the UCB-guided reduction on the 16x16 digits-on-photos
# proxy: bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py (data, schedule)
# with the network and scorer changes of bnas_xnor-w1a1-ucb_supernet-c16-l5_1xb64-search_
# digits.py (XNOR convs binarizing their input, CP-NAS's binary separable design, UCB with
# c = 2). Retrain its cell with bnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py.
_base_ = ['./bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py']
conv_cfg = dict(type='XNORConv2d', binary_activation=True)
op_design = 'cpnas'
model = dict(
    architecture=dict(backbone=dict(
        conv_cfg=conv_cfg,
        mutable_cfg=dict(candidates=dict(
            skip_connect=dict(conv_cfg=conv_cfg),
            sep_conv_3x3=dict(conv_cfg=conv_cfg, design=op_design),
            sep_conv_5x5=dict(conv_cfg=conv_cfg, design=op_design),
            dil_conv_3x3=dict(conv_cfg=conv_cfg, design=op_design),
            dil_conv_5x5=dict(conv_cfg=conv_cfg, design=op_design))))),
    mutator=dict(scorer=dict(ucb=True, ucb_c=2.0)))
