# 1-bit BNAS (W1A1) on CIFAR-10: BNAS_XNOR_1 at 36 channels with XNOR convs that
# also binarize their input (sign(x - mean) per sample, clipped STE), as the
# IJCV extension (arXiv 2009.04247) trains "1-bit" BNAS. Its W1A1 op design and
# activation binarizer are not in the official code; the separable/dilated
# convs use the binary design of CP-NAS (the same group, IJCAI 2020, arXiv
# 2005.00057): binary dw -> BN -> binary 1x1 -> BN, no ReLU. The cell
# preprocessing convs are binary too (ReLU -> binary 1x1 -> BN). The IJCV
# cells searched for W1A1 are not released, so this trains the W1A32 cell.
# DARTS's evaluation schedule; BNAS's retraining schedule is not published.
_base_ = ['./bnas-xnor-c36l20-1w32a_1xb96-600e_cifar10.py']
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
