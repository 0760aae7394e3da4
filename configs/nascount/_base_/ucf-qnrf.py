# UCF-QNRF (Idrees et al., ECCV 2018): <data_root>/{Train,Test}/img_<nnnn>.jpg with
# img_<nnnn>_ann.mat (annPoints); 1201 train / 334 test images.
# Pipelines: crops for training (512, a multiple of the padding divisor 16), whole
# images for testing, resized so that the long side is at most 2048 px (our choice in the
# common 1920-2048 range) and inferred by a sliding window of 1024 px (stride 768).
# Density: geometry-adaptive Gaussians (beta = 0.3, k = 3) after resizing.
# These settings are common practice (CSRNet, Li et al., CVPR 2018; MCNN, CVPR 2016); the
# NAS-Count paper's own preprocessing (arXiv 2003.00217, Sec. 4) was not checked.
dataset_type = 'CrowdCountingDataset'
data_root = 'data/UCF-QNRF_ECCV18'
crop_size = 512
num_train = 1201
density = dict(type='GenerateDensityMap', mode='adaptive', beta=0.3, k=3)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='ResizeWithPoints', max_long_side=2048, size_divisor=16),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
    dict(type='RandomCropWithPoints', crop_size=crop_size),
    dict(type='RandomFlipWithPoints', prob=0.5),
    density,
    dict(type='DownsampleDensity', stride=8),
    dict(type='PackCountingInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='ResizeWithPoints', max_long_side=2048, size_divisor=16),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
    density,
    dict(type='DownsampleDensity', stride=8),
    dict(type='PackCountingInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    dataset=dict(type=dataset_type, layout='ucf_qnrf', data_root=data_root, split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(type=dataset_type, layout='ucf_qnrf', data_root=data_root, split='test',
                 test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='CountingMetric')
test_evaluator = val_evaluator
