# BNAS search on CIFAR-10 (Chen et al., AAAI 2020, arXiv 1911.10862): PC-DARTS supernet
# (8 cells, 16 initial channels, partial channels K = 4, edge normalization) with XNOR
# W1A32 convs, warm-up, then performance-based operation-space reduction.
# Known from PC-DARTS (official train_search.py): the 50/50 split of the CIFAR-10 training
# set, batch 256, SGD lr 0.1 momentum 0.9 wd 3e-4 cosine to 0, gradient clip 5, Adam 6e-4
# (0.5, 0.999) wd 1e-3 for alpha/beta, architecture updates from epoch 15.
# NOT published (BNAS's search code is not released), our choices: 25 warm-up epochs
# (arch_start 15), T = 3 sampling rounds per reduction (the value of the sibling ABanditNAS),
# one epoch of training per sampled path (CP-NAS's value; an unofficial re-implementation uses
# 3), one supernet epoch after each reduction. Steps: 25 + 3 * 19 + 6 = 88.
_base_ = [
    './bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py',
    '../_base_/datasets/cifar10_darts_search.py',
]

# the data (every dataloader replaces the digits one: _delete_)
data_root = _base_.search_data_root
train_portion = _base_.search_train_portion
train_dataloader = dict(_base_.search_train_dataloader, _delete_=True)
mutator_dataloader = dict(_base_.search_mutator_dataloader, _delete_=True)
eval_dataloader = dict(_base_.search_eval_dataloader, _delete_=True)

nas_backbone = dict(num_layers=8, out_indices=(7, ))
data_preprocessor = _base_.search_preprocessor
model = dict(
    architecture=dict(data_preprocessor=data_preprocessor, backbone=nas_backbone),
    mutator=dict(scorer=dict(rounds=3)))
train_cfg = dict(
    mutator_dataloader=mutator_dataloader,
    eval_dataloader=eval_dataloader,
    warmup_epochs=25,
    arch_start=15,
    epochs_between=1,
    sample_train_iters=None,
    sample_train_epochs=1,
    calibrate_sample_num=2048)
num_steps = 88
param_scheduler = dict(
    architecture=dict(type='CosineAnnealingLR', T_max=num_steps, eta_min=0.0, by_epoch=True,
                      begin=0, end=num_steps),
    mutator=dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=num_steps))
