# CP-NAS search on CIFAR-10 (Zhuo et al., IJCAI 2020, arXiv 2005.00057): the 1-bit child and
# its full-precision parent on the BNAS/PC-DARTS supernet (8 cells, C=16, K = 4), the 50/50
# split of the CIFAR-10 training set, T = 3 rounds per reduction (35 * 3 = 105 paths), one
# epoch of child and parent training per path (the paper), beta_P = 0.5 (not given in the
# paper: see projects/cpnas/README.md).
_base_ = [
    './cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py',
    '../_base_/datasets/cifar10_darts_search.py',
]

# the data (every dataloader replaces the digits one: _delete_)
data_root = _base_.search_data_root
train_portion = _base_.search_train_portion
train_dataloader = dict(_base_.search_train_dataloader, _delete_=True)
mutator_dataloader = dict(_base_.search_mutator_dataloader, _delete_=True)
eval_dataloader = dict(_base_.search_eval_dataloader, _delete_=True)

data_preprocessor = _base_.search_preprocessor
model = dict(
    architecture=dict(data_preprocessor=data_preprocessor,
                      backbone=dict(num_layers=8, out_indices=(7, ))),
    mutator=dict(scorer=dict(rounds=3)))
train_cfg = dict(
    mutator_dataloader=mutator_dataloader,
    eval_dataloader=eval_dataloader,
    sample_train_iters=None, sample_train_epochs=1, calibrate_sample_num=2048)
num_steps = 105
param_scheduler = dict(
    architecture=dict(T_max=num_steps, end=num_steps),
    parent=dict(T_max=num_steps, end=num_steps))
