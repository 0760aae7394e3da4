# ShanghaiTech Part A (MCNN, CVPR 2016): <data_root>/{train,test}_data/images/IMG_<n>.jpg and
# <data_root>/{train,test}_data/ground-truth/GT_IMG_<n>.mat (300 train / 182 test images).
# Pipelines: crops for training (400, a multiple of the padding divisor 16), whole
# images for testing. Density: geometry-adaptive Gaussians (beta = 0.3, k = 3), as MCNN on Part A.
# These settings are common practice (CSRNet, Li et al., CVPR 2018; MCNN, CVPR 2016); the
# NAS-Count paper's own preprocessing (arXiv 2003.00217, Sec. 4) was not checked.
dataset_type = 'CrowdCountingDataset'
data_root = 'data/ShanghaiTech/part_A'
crop_size = 400
num_train = 300
density = dict(type='GenerateDensityMap', mode='adaptive', beta=0.3, k=3)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
    dict(type='RandomCropWithPoints', crop_size=crop_size),
    dict(type='RandomFlipWithPoints', prob=0.5),
    density,
    dict(type='DownsampleDensity', stride=8),
    dict(type='PackCountingInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
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
