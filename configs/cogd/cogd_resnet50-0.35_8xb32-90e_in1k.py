# CoGD-0.35 of the official README's ImageNet table (see the 0.5 config for
# how the ratio is read).
_base_ = ['./cogd_resnet50-0.5_8xb32-90e_in1k.py']
ratio = 0.35
model = dict(prune_rate=1 - ratio)
