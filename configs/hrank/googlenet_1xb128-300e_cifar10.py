# Full-precision GoogLeNet for CIFAR-10, the model HRank prunes.
# Paper baseline: 95.05%, 1.52B FLOPs, 6.15M params.
_base_ = ['./resnet56_1xb128-300e_cifar10.py']
model = dict(backbone=dict(_delete_=True, type='CIFARGoogLeNet'), head=dict(in_channels=1024))
