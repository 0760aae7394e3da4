# The CP-NAS search of cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py (the same 1-bit
# child supernet, full-precision parent, z = beta_P (A_P - A_C) + A_C, schedule) on the 16x16
# digits-on-photos proxy (no download; mmlean.datasets.DigitsOnPhotosDataset). Every data key
# of the digits config is replaced as in
# ../bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py: the training
# digits' first half (one fresh render each per epoch) trains the weights, the second half
# scores the sampled paths. Retrain its cell with
# cpnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py.
_base_ = ['./cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py']
custom_imports = dict(imports=['mmlean.projects.cpnas', 'mmlean.datasets'],
                      allow_failed_imports=False)

# the 16x16 test set's statistics (configs/_base_/datasets/digits_on_photos16_bs64.py)
data_preprocessor = dict(num_classes=10, mean=[130.3, 117.9, 112.0], std=[61.1, 56.5, 58.0],
                         to_rgb=False)
model = dict(architecture=dict(data_preprocessor=data_preprocessor))
train_pipeline = [dict(type='PackInputs')]
split = dict(_delete_=True, type='DigitsOnPhotosDataset', split='train', image_size=16,
             renders_per_digit=1, pipeline=train_pipeline)
train_dataloader = dict(dataset=dict(split, indices=719))
mutator_dataloader = dict(dataset=dict(split, indices=-718))
eval_dataloader = dict(dataset=dict(split, indices=-718))
train_cfg = dict(mutator_dataloader=mutator_dataloader, eval_dataloader=eval_dataloader)
