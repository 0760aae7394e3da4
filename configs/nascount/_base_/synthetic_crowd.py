# The synthetic crowd set (tools/nascount/synthetic_crowd.py writes it, in the ShanghaiTech
# layout): 120 training and 30 test images of 256 x 256, 5-150 heads each.
#   python tools/nascount/synthetic_crowd.py --out data/synthetic_crowd
# Density maps: geometry-adaptive Gaussians (beta = 0.3, k = 3; widths from the whole
# image before the crop), sum-pooled to the output stride 8.
dataset_type = 'CrowdCountingDataset'
data_root = 'data/synthetic_crowd'
crop_size = 128  # a multiple of the networks' padding divisor (16)
density_stride = 8  # the networks' output stride
density = dict(type='GenerateDensityMap', mode='adaptive', beta=0.3, k=3)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
    dict(type='RandomCropWithPoints', crop_size=crop_size),
    dict(type='RandomFlipWithPoints', prob=0.5),
    density,
    dict(type='DownsampleDensity', stride=density_stride),
    dict(type='PackCountingInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ComputeHeadSigmas', beta=0.3, k=3),
    density,
    dict(type='DownsampleDensity', stride=density_stride),
    dict(type='PackCountingInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(type=dataset_type, layout='shanghaitech', data_root=data_root,
                 split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    dataset=dict(type=dataset_type, layout='shanghaitech', data_root=data_root,
                 split='test', test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='CountingMetric')
test_evaluator = val_evaluator
