# RBNN ResNet-20 with Bi-Real shortcuts around every binary conv
# (official resnet_bireal.py), CIFAR-10. Paper / README: 87.8% top-1.
_base_ = ['./rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py']
model = dict(architecture=dict(backbone=dict(bireal=True)))
