# The BNAS W1A32 search of bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py (same
# supernet, optimizers, sampling and schedule) on the 16x16 digits-on-photos proxy (no
# download; mmlean.datasets.DigitsOnPhotosDataset), where a small network does not reach
# the ceiling. Every data key of the digits config is replaced: the training digits' first
# half (719 digits, one fresh render each per epoch) trains the weights, the second half
# (718) trains alpha and scores the sampled paths; the held-out test renders stay untouched
# for retraining (bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py).
# Measured (seed 0, one thread): at this, the digits budget (4 warm-up epochs of 12
# iterations) the supernet stays at chance on the photos (loss 2.36, sampled-path rewards
# 9.6-10.2%), so the reduction would choose by noise; with 8x the warm-up (the weight split
# in a RepeatDataset, 360 iterations) the rewards are 10.9-13.1%. A budget that separates the
# ops is far longer (not yet calibrated), while a fixed cell retrained from scratch
# (bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py) learns: 71% after 15 epochs.
_base_ = ['./bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py']
custom_imports = dict(imports=['mmlean.projects.bnas', 'mmlean.datasets'],
                      allow_failed_imports=False)

# the 16x16 test set's statistics (configs/_base_/datasets/digits_on_photos16_bs64.py)
data_preprocessor = dict(num_classes=10, mean=[130.3, 117.9, 112.0], std=[61.1, 56.5, 58.0],
                         to_rgb=False)
model = dict(architecture=dict(data_preprocessor=data_preprocessor))
# fresh renders replace the digits' random crops
train_pipeline = [dict(type='PackInputs')]
split = dict(_delete_=True, type='DigitsOnPhotosDataset', split='train', image_size=16,
             renders_per_digit=1, pipeline=train_pipeline)
train_dataloader = dict(dataset=dict(split, indices=719))
mutator_dataloader = dict(dataset=dict(split, indices=-718))
eval_dataloader = dict(dataset=dict(split, indices=-718))
train_cfg = dict(mutator_dataloader=mutator_dataloader, eval_dataloader=eval_dataloader)
