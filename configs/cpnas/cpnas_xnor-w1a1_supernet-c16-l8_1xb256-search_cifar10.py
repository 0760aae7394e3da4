# CP-NAS search on CIFAR-10 (Zhuo et al., IJCAI 2020, arXiv 2005.00057): the 1-bit child and
# its full-precision parent on the BNAS/PC-DARTS supernet (8 cells, C=16, K = 4), the 50/50
# split of the CIFAR-10 training set, T = 3 rounds per reduction (35 * 3 = 105 paths), one
# epoch of child and parent training per path (the paper), beta_P = 0.5 (not given in the
# paper: see projects/cpnas/README.md).
_base_ = ['./cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py']

data_preprocessor = dict(num_classes=10, mean=[125.307, 122.950, 113.866],
                         std=[62.993, 62.089, 66.705], to_rgb=False)
model = dict(
    architecture=dict(data_preprocessor=data_preprocessor,
                      backbone=dict(num_layers=8, out_indices=(7, ))),
    mutator=dict(scorer=dict(rounds=3)))

cifar = dict(type='CIFAR10', data_root='data/cifar10', split='train', download=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    _delete_=True, batch_size=256, num_workers=4,
    dataset=dict(cifar, indices=25000, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
mutator_dataloader = dict(
    batch_size=256, num_workers=4,
    dataset=dict(cifar, indices=-25000, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(
    mutator_dataloader=mutator_dataloader,
    eval_dataloader=dict(mutator_dataloader, batch_size=512,
                         sampler=dict(type='DefaultSampler', shuffle=False)),
    sample_train_iters=None, sample_train_epochs=1, calibrate_sample_num=2048)
num_steps = 105
param_scheduler = dict(
    architecture=dict(T_max=num_steps, end=num_steps),
    parent=dict(T_max=num_steps, end=num_steps))
