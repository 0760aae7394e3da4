# The unpruned ImageNet ResNet-50 that HRank prunes (official resnet_50, torchvision layout),
# as mmpretrain's ResNet-50, for evaluating a converted HRank file
# (tools/model_converters/hrank_official.py --arch resnet50) as the official test does
# (data/imagenet.py): PIL decoding, Resize(256) bilinear on the short side, CenterCrop(224),
# ImageNet mean/std.
_base_ = ['mmpretrain::resnet/resnet50_8xb32_in1k.py']
custom_imports = dict(imports=['mmlean.engine'], allow_failed_imports=False)
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
