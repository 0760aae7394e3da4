# The 1-bit BNAS search of the IJCV extension (arXiv 2009.04247) on digits: W1A1 XNOR convs
# (sign(x - mean) activations, clipped STE), the CP-NAS binary separable design, and the UCB
# term sqrt(2 ln N / n) added to the selection likelihood when abandoning (how the paper
# combines the two is not published in what we could read: the sum is our choice).
_base_ = ['./bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py']
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
