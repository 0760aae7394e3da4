# The CP-NAS search of cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py (the same 1-bit
# child supernet, full-precision parent, z = beta_P (A_P - A_C) + A_C, schedule) on the 16x16
# digits-on-photos proxy (no download; mmlean.datasets.DigitsOnPhotosDataset). Every data key
# of the digits config is replaced as in
# ../bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py: the training
# digits' first half (four fresh renders each per epoch) trains the weights, the second half
# scores the sampled paths. Retrain its cell with
# cpnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py.
# The budget is the paper's rule (one epoch of child and parent training per path, as in
# cpnas_xnor-w1a1_supernet-c16-l8_1xb256-search_cifar10.py) rather than the digits one
# (8 iterations): the photos need far more training than the digits (the BNAS supernet
# stayed at chance at its digits budget). One epoch is 45 iterations here, 1,575 over the
# 35 paths; T = 1 as on the digits (CIFAR-10's T = 3 would triple the search).
_base_ = ['./cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py']
custom_imports = dict(imports=['mmlean.projects.cpnas', 'mmlean.datasets'],
                      allow_failed_imports=False)

# the 16x16 test set's statistics (configs/_base_/datasets/digits_on_photos16_bs64.py)
data_preprocessor = dict(num_classes=10, mean=[130.3, 117.9, 112.0], std=[61.1, 56.5, 58.0],
                         to_rgb=False)
model = dict(architecture=dict(data_preprocessor=data_preprocessor))
train_pipeline = [dict(type='PackInputs')]
split = dict(type='DigitsOnPhotosDataset', split='train', image_size=16, renders_per_digit=1,
             pipeline=train_pipeline)
# indices count entries, and the entries run render by render: a RepeatDataset gives each
# digit of the half four fresh renders per epoch
train_dataloader = dict(dataset=dict(_delete_=True, type='RepeatDataset', times=4,
                                     dataset=dict(split, indices=719)))
mutator_dataloader = dict(dataset=dict(split, _delete_=True, indices=-718))
eval_dataloader = dict(dataset=dict(split, _delete_=True, indices=-718))
train_cfg = dict(mutator_dataloader=mutator_dataloader, eval_dataloader=eval_dataloader,
                 sample_train_iters=None, sample_train_epochs=1)
