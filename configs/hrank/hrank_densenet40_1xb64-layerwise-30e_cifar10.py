# HRank on DenseNet-40 (README row: 167.41M FLOPs (-40.8%), 0.66M params,
# 94.24%). A conv's maps are ranked on the last 12 channels of the next
# layer's BN-ReLU (HRank's rule); the concatenations are followed by
# torch-pruning. 39 layers (the 0.0-rate ones prune nothing), 30 epochs each.
_base_ = ['./hrank_resnet56_1xb128-layerwise-30e_cifar10.py']
pretrained = 'work_dirs/densenet40_1xb64-300e_cifar10/epoch_300.pth'  # the baseline config's last checkpoint
train_dataloader = dict(batch_size=64)
model = dict(
    architecture=dict(
        backbone=dict(_delete_=True, type='CIFARDenseNet', depth=40, growth=12),
        head=dict(in_channels=456),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    compress_rate=('[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*6+[0.0]+[0.1]*6+[0.7]*5'
                   '+[0.0]'),
    rank_file='work_dirs/hrank_densenet40/ranks.json')
prunable_layers = 39
train_cfg = dict(max_epochs=30 * prunable_layers)
