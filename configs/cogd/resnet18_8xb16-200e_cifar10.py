# The full-precision CIFAR-10 ResNet-18 that cogd_resnet18_1xb128-30e_cifar10.py prunes:
# mmpretrain's own config (ResNet_CIFAR-18, 200 epochs, batch 128 = 8 x 16, data/cifar10).
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']
# never download: the CIFAR-10 python batches are expected under data/cifar10
train_dataloader = dict(dataset=dict(download=False))
val_dataloader = dict(dataset=dict(download=False))
test_dataloader = dict(dataset=dict(download=False))
