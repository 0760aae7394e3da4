# scikit-learn's digits drawn on scikit-image's photographs, MNIST-M style (no
# download; mmlean.datasets.DigitsOnPhotosDataset): training renders drawn afresh
# every epoch from the training 80% of the digits (4 per digit and epoch), a fixed
# test rendering of the held-out 20% (9 per digit: 3,240 images). Mean and std are
# the test set's.
dataset_type = 'DigitsOnPhotosDataset'
image_size = 32
data_preprocessor = dict(
    num_classes=10,
    mean=[130.1, 117.8, 111.9],
    std=[62.4, 57.8, 59.4],
    to_rgb=False,
)
train_pipeline = [dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', image_size=image_size,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', image_size=image_size,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
