# HRank on CIFAR ResNet-110 (README row: 156.90M FLOPs (the paper printed
# 148.70M), 1.04M params, 94.23%); 54 block-internal conv1 layers removed
# physically, layer by layer, 30 epochs each.
_base_ = ['./hrank_resnet56_1xb128-layerwise-30e_cifar10.py']
pretrained = 'work_dirs/resnet110_1xb128-300e_cifar10/epoch_300.pth'  # the baseline config's last checkpoint
model = dict(
    architecture=dict(backbone=dict(depth=110),
                      init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    compress_rate='[0.1]+[0.40]*36+[0.40]*36+[0.4]*36',
    rank_file='work_dirs/hrank_resnet110/ranks.json')
prunable_layers = 54
train_cfg = dict(max_epochs=30 * prunable_layers)
