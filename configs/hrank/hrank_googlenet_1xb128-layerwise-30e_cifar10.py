# HRank on GoogLeNet (README row: 0.45B FLOPs (-70.4%), 1.86M params, 94.07%):
# the stem and the four branch-output convs of each Inception module (one rate
# per module; the official code reads index 6 for both c4 and d4, and so do
# we), 37 layers, 30 epochs each.
_base_ = ['./hrank_resnet56_1xb128-layerwise-30e_cifar10.py']
pretrained = 'work_dirs/googlenet_1xb128-300e_cifar10/best.pth'
model = dict(
    architecture=dict(
        backbone=dict(_delete_=True, type='CIFARGoogLeNet'),
        head=dict(in_channels=1024),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    compress_rate='[0.10]+[0.8]*5+[0.85]+[0.8]*3',
    rank_file='work_dirs/hrank_googlenet/ranks.json')
prunable_layers = 37
train_cfg = dict(max_epochs=30 * prunable_layers)
