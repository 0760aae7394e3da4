# Runtime for mmpretrain-scope (classification) configs of mmlean.
default_scope = 'mmpretrain'
custom_imports = dict(
    imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.models'],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # LoggerHook prints loss, lr and "eta:" every `interval` iterations
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)
custom_hooks = [dict(type='ProgressBarHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; on a machine without CUDA mmlean.compat switches to gloo
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [
    dict(type='LocalVisBackend'),
    # dict(type='TensorboardVisBackend'),
    # dict(type='WandbVisBackend', init_kwargs=dict(project='mmlean'),
    #      define_metric_cfg={'accuracy/top1': 'max'}),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
