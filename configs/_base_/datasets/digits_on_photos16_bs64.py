# The 16x16 variant of digits_on_photos_bs64.py for the costly architecture searches and
# the retraining of their cells: the same renders (drawn at 32x32, then reduced; see
# mmlean.datasets.DigitsOnPhotosDataset), a quarter of the pixels. Training renders are
# drawn afresh every epoch from the training 80% of the digits (4 per digit and epoch);
# the test set is the fixed rendering of the held-out 20% (9 per digit: 3,240 images).
# Mean and std are the 16x16 test set's.
dataset_type = 'DigitsOnPhotosDataset'
image_size = 16
data_preprocessor = dict(
    num_classes=10,
    mean=[130.3, 117.9, 112.0],
    std=[61.1, 56.5, 58.0],
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
