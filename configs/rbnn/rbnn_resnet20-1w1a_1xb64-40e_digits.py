# Learning check on real mini-data (no download): RBNN ResNet-20 (1-bit
# weights and activations, FP stem and FC) on scikit-learn's digits at 32x32,
# 20% held out. Twins with the same network: resnet20-fp_1xb64-40e_digits.py
# (full precision) and bnn_resnet20-1w1a_1xb64-40e_digits.py (plain sign/STE).
_base_ = [
    '../_base_/datasets/digits_bs64.py',
    './_base_/rbnn_resnet20-1w1a_40e.py',
]
