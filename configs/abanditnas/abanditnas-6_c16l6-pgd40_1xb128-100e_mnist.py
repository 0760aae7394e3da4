# ABanditNAS-6 on MNIST (arXiv 2008.00698, Table 1: clean 99.52, FGSM 98.94, PGD-40 97.01,
# PGD-100 95.70): a searched cell set on 6 cells, one input channel, trained with PGD-40
# (eps 0.3, step 0.01, random start: the official attack defaults for MNIST) and tested clean
# and under FGSM, PGD-40 and PGD-100 (torchattacks). MNIST is read from its usual files in
# data/mnist (train-images-idx3-ubyte, ...), never downloaded. Width C = 16, the schedule
# (SGD 0.05, cosine, 100 epochs) and no auxiliary head (7x7 maps) are our choices: unpublished.
#   python tools/train.py THIS --cfg-options model.architecture.fix_subnet=<search>/fix_subnet.yaml
_base_ = ['./abanditnas_c8l6-pgd7_1xb64-30e_digits.py']

eps, step = 0.3, 0.01
model = dict(
    architecture=dict(cfg=dict(
        backbone=dict(base_channels=16, mean=[0.1307], std=[0.3081]),
        head=dict(in_channels=16 * 16))),
    attack=dict(type='pgd', eps=eps, alpha=step, steps=40))
mnist = dict(type='MNIST', data_root='data/mnist', download=False)
train_dataloader = dict(
    batch_size=128, num_workers=2,
    dataset=dict(mnist, _delete_=True, test_mode=False,
                 pipeline=[dict(type='PackInputs')]))
val_dataloader = dict(
    batch_size=256, num_workers=2,
    dataset=dict(mnist, _delete_=True, test_mode=True, pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
max_epochs = 100
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
test_cfg = dict(
    _delete_=True,
    type='RobustTestLoop',
    attacks=[
        dict(name='FGSM', type='FGSM', eps=eps),
        dict(name='PGD-40', type='PGD', eps=eps, alpha=step, steps=40, random_start=True),
        dict(name='PGD-100', type='PGD', eps=eps, alpha=step, steps=100, random_start=True),
    ])
