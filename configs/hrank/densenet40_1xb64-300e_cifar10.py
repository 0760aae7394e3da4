# Full-precision DenseNet-40 (growth 12) for CIFAR-10, the model HRank prunes.
# Paper baseline: 94.81%, 282.00M FLOPs, 1.04M params.
_base_ = ['./resnet56_1xb128-300e_cifar10.py']
train_dataloader = dict(batch_size=64)
model = dict(
    backbone=dict(_delete_=True, type='CIFARDenseNet', depth=40, growth=12),
    head=dict(in_channels=456))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
