# The full-precision parent of cpnas_xnor-c16l5-w1a1_1xb64-30e_digits.py trained on its own:
# the same cells and op design as the 1-bit child (CP-NAS's separable design: dw -> BN ->
# 1x1 -> BN, no ReLU), every conv a plain Conv2d; the same data and schedule. Its checkpoint
# is what parent_mode='frozen' expects (strip nothing: the keys are the child's).
#   python tools/train.py THIS --cfg-options model.fix_subnet=<search>/fix_subnet.yaml
_base_ = ['../bnas/bnas_xnor-c16l5-w1a1_1xb64-30e_digits.py']
conv_cfg = dict(_delete_=True, type='Conv2d')
model = dict(cfg=dict(backbone=dict(
    conv_cfg=conv_cfg,
    mutable_cfg=dict(candidates=dict(
        skip_connect=dict(conv_cfg=conv_cfg),
        sep_conv_3x3=dict(conv_cfg=conv_cfg),
        sep_conv_5x5=dict(conv_cfg=conv_cfg),
        dil_conv_3x3=dict(conv_cfg=conv_cfg),
        dil_conv_5x5=dict(conv_cfg=conv_cfg))))))
