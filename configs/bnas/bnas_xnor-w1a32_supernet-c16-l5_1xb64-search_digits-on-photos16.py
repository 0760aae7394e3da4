# The BNAS W1A32 search of bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py (same
# supernet, optimizers, sampling rule and reduction) on the 16x16 digits-on-photos proxy (no
# download; mmlean.datasets.DigitsOnPhotosDataset), where a small network does not reach
# the ceiling. Every data key of the digits config is replaced: the training digits' first
# half (719 digits, four fresh renders each per epoch: 45 iterations) trains the weights,
# the second half (718; four renders for the alphas, one to score the sampled paths) the
# architecture; the held-out test renders stay untouched for retraining
# (bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py).
# The budget is the digits one scaled to the photos. At the digits budget (4 warm-up epochs
# of 12 iterations) the supernet stays at chance on the photos (loss 2.36, sampled-path
# rewards 9.6-10.2%: the reduction would choose by noise). Hence 30 warm-up epochs (1,350
# iterations; alphas from epoch 9, PC-DARTS's 30%), 16 iterations per sampled path and the
# cosine over all 55 steps. Measured (seed 0, one thread, tools/analysis_tools/evidence.py
# --rows bnas-w1a32): supernet training loss 2.29 after epoch 9, 2.05 after 16, 1.70 after
# 23, 1.23 after 30; first-round rewards of the sampled paths 25-32%.
_base_ = ['./bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py']
custom_imports = dict(imports=['mmlean.projects.bnas', 'mmlean.datasets'],
                      allow_failed_imports=False)

# the 16x16 test set's statistics (configs/_base_/datasets/digits_on_photos16_bs64.py)
data_preprocessor = dict(num_classes=10, mean=[130.3, 117.9, 112.0], std=[61.1, 56.5, 58.0],
                         to_rgb=False)
model = dict(architecture=dict(data_preprocessor=data_preprocessor))
# fresh renders replace the digits' random crops
train_pipeline = [dict(type='PackInputs')]
split = dict(type='DigitsOnPhotosDataset', split='train', image_size=16, renders_per_digit=1,
             pipeline=train_pipeline)
# indices count entries, and the entries run render by render: a RepeatDataset gives each
# digit of a half four fresh renders per epoch
train_dataloader = dict(dataset=dict(_delete_=True, type='RepeatDataset', times=4,
                                     dataset=dict(split, indices=719)))
mutator_dataloader = dict(dataset=dict(_delete_=True, type='RepeatDataset', times=4,
                                       dataset=dict(split, indices=-718)))
eval_dataloader = dict(dataset=dict(split, _delete_=True, indices=-718))
train_cfg = dict(mutator_dataloader=mutator_dataloader, eval_dataloader=eval_dataloader,
                 warmup_epochs=30, arch_start=9, sample_train_iters=16)
num_steps = 55  # 30 warm-up + 19 sampled paths + 6 supernet epochs between reductions
param_scheduler = dict(
    architecture=dict(T_max=num_steps, end=num_steps),
    mutator=dict(end=num_steps))
# the end of the warm-up, kept: the PC-DARTS baseline (reduction off) runs the same 30
# epochs, so tools/analysis_tools/evidence.py continues it from here
custom_hooks = [dict(type='ProgressBarHook'), dict(type='KeepCheckpointHook', epochs=[30])]
