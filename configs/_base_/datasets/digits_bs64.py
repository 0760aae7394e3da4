# scikit-learn's handwritten digits, resized to 32x32 (ships with scikit-learn;
# no download). 80% train / 20% test, stratified, fixed seed.
dataset_type = 'DigitsDataset'
data_preprocessor = dict(
    num_classes=10,
    mean=[78.0, 78.0, 78.0],
    std=[95.0, 95.0, 95.0],
    to_rgb=False,
)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
