# The full-precision twin of bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py: the same cells and
# training, every binary conv a plain Conv2d (the ops then equal mmrazor's DARTS ops).
_base_ = ['./bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py']
conv_cfg = dict(type='Conv2d')
model = dict(cfg=dict(backbone=dict(
    conv_cfg=conv_cfg,
    mutable_cfg=dict(candidates=dict(
        skip_connect=dict(conv_cfg=conv_cfg),
        sep_conv_3x3=dict(conv_cfg=conv_cfg),
        sep_conv_5x5=dict(conv_cfg=conv_cfg),
        dil_conv_3x3=dict(conv_cfg=conv_cfg),
        dil_conv_5x5=dict(conv_cfg=conv_cfg))))))
