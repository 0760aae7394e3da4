# HRank on GoogLeNet (README row: 0.45B FLOPs (-70.4%), 1.86M params, 94.07%):
# the stem and, per Inception module, the convs the official mask_googlenet
# masks (1x1, 3x3, both "5x5" 3x3 convs, pool conv; one rate per module),
# 46 layers, 30 epochs each.
_base_ = ['./hrank_resnet56_1xb128-layerwise-30e_cifar10.py']
pretrained = 'work_dirs/googlenet_1xb128-300e_cifar10/epoch_300.pth'  # the baseline config's last checkpoint
model = dict(
    architecture=dict(
        backbone=dict(_delete_=True, type='CIFARGoogLeNet'),
        head=dict(in_channels=1024),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    compress_rate='[0.10]+[0.8]*5+[0.85]+[0.8]*3',
    rank_file='work_dirs/hrank_googlenet/ranks.json')
prunable_layers = 46
train_cfg = dict(max_epochs=30 * prunable_layers)
