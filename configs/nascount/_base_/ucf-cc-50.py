# UCF_CC_50 (Idrees et al., CVPR 2013): <data_root>/<n>.jpg with <n>_ann.mat (annPoints),
# 50 grayscale images; folds are images 1-10, 11-20, ... (our choice, see the dataset).
# Pipelines: crops for training (256, a multiple of the padding divisor 16), whole
# images for testing; the protocol is 5-fold cross-validation: run each of fold=0..4
# (--cfg-options {train,val,test}_dataloader.dataset.fold=K, and in the search also
# train_cfg.mutator_dataloader.dataset.fold=K) and report the mean over the folds.
# Density: geometry-adaptive Gaussians (beta = 0.3, k = 3).
# These settings are common practice (CSRNet, Li et al., CVPR 2018; MCNN, CVPR 2016); the
# NAS-Count paper's own preprocessing (arXiv 2003.00217, Sec. 4) was not checked.
dataset_type = 'CrowdCountingDataset'
data_root = 'data/UCF_CC_50'
fold = 0  # the test fold (0..4); train on the other four
crop_size = 256
num_train = 40
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
    dataset=dict(type=dataset_type, layout='ucf_cc_50', data_root=data_root, split='train',
                 fold=fold, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(type=dataset_type, layout='ucf_cc_50', data_root=data_root, split='test',
                 fold=fold, test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='CountingMetric')
test_evaluator = val_evaluator
