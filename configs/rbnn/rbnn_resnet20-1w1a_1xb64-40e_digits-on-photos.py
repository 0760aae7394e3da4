# RBNN ResNet-20 (1-bit weights and activations, FP stem and FC) on the embedded
# proxy that does not saturate: scikit-learn's digits drawn on scikit-image
# photographs (MNIST-M style; mmlean.datasets.DigitsOnPhotosDataset), 32x32 RGB,
# fresh training renders every epoch, a fixed test set of 3,240 renders of the
# held-out digits. Twins with the same network and schedule:
# resnet20-fp_1xb64-40e_digits-on-photos.py (full precision),
# bnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py (plain sign/STE).
_base_ = [
    '../_base_/datasets/digits_on_photos_bs64.py',
    './_base_/rbnn_resnet20-1w1a_40e.py',
]
