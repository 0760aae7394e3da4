# CIFAR-10 in its python format (data/cifar10/cifar-10-batches-py), as binary
# network papers train it: RandomCrop(32, pad 4) + horizontal flip; batch
# 256 / 128. Normalized with ImageNet mean/std, as the official RBNN code does.
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'
data_preprocessor = dict(
    num_classes=10,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False,  # CIFAR10 loads RGB already
)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 download=False, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 download=False, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
