# RBNN ResNet-34 (Bi-Real structure), ImageNet, 150 epochs. Paper: 63.1 / 84.4.
_base_ = ['./rbnn_resnet18-bireal-1w1a_4xb128-150e_in1k.py']
model = dict(architecture=dict(backbone=dict(depth=34)))
