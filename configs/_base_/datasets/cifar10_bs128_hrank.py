# CIFAR-10 as HRank's official code loads it: RandomCrop(32, pad 4) + flip,
# normalized with CIFAR statistics, batch 128 / 100.
_base_ = ['./cifar10_bs256.py']
data_preprocessor = dict(
    mean=[125.307, 122.961, 113.8575],  # (0.4914, 0.4822, 0.4465) * 255
    std=[51.5865, 50.847, 51.255],      # (0.2023, 0.1994, 0.2010) * 255
)
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=100)
test_dataloader = val_dataloader
