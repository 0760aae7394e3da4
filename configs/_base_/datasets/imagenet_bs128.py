# ImageNet-1k in mmpretrain's folder format (data/imagenet/{train,val}/<wnid>/
# plus meta/{train,val}.txt), 224x224 RandomResizedCrop + flip; 128 per GPU.
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs64.py']
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
