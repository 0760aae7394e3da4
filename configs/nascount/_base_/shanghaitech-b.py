# ShanghaiTech Part B (MCNN, CVPR 2016): the Part A layout under part_B (400 train / 316
# test images of 768 x 1024).
# Pipelines: crops for training (512, a multiple of the padding divisor 16), whole
# images for testing. Density: a fixed sigma = 15 Gaussian, as CSRNet on Part B.
# These settings are common practice (CSRNet, Li et al., CVPR 2018; MCNN, CVPR 2016); the
# NAS-Count paper's own preprocessing (arXiv 2003.00217, Sec. 4) was not checked.
dataset_type = 'CrowdCountingDataset'
data_root = 'data/ShanghaiTech/part_B'
crop_size = 512
num_train = 400
density = dict(type='GenerateDensityMap', mode='fixed', sigma=15.0)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='RandomCropWithPoints', crop_size=crop_size),
    dict(type='RandomFlipWithPoints', prob=0.5),
    density,
    dict(type='DownsampleDensity', stride=8),
    dict(type='PackCountingInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    density,
    dict(type='DownsampleDensity', stride=8),
    dict(type='PackCountingInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    dataset=dict(type=dataset_type, layout='shanghaitech', data_root=data_root, split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(type=dataset_type, layout='shanghaitech', data_root=data_root, split='test',
                 test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='CountingMetric')
test_evaluator = val_evaluator
