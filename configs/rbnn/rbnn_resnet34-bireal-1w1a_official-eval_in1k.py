# Evaluating the released RBNN ResNet-34 (converted by tools/model_converters/rbnn_official.py
# --arch resnet34-imagenet) as the official evaluate command does (imagenet/main.py -e,
# dataset/imagenet.py): PIL decoding, Resize(256) bilinear on the short side, CenterCrop(224),
# ImageNet mean/std. The training config's test pipeline (cv2) differs in its resize filter.
_base_ = ['./rbnn_resnet34-bireal-1w1a_4xb128-150e_in1k.py']
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
