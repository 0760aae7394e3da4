# Full-precision CIFAR ResNet-110. Paper baseline: 93.50%, 252.89M FLOPs, 1.72M params.
_base_ = ['./resnet56_1xb128-300e_cifar10.py']
model = dict(backbone=dict(depth=110))
