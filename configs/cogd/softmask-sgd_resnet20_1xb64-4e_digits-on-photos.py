# The SGD baseline of cogd_resnet20_1xb64-4e_digits-on-photos.py: the same model, data
# and schedule, plain SGD with the l1 penalty on the masks in the loss.
_base_ = ['./cogd_resnet20_1xb64-4e_digits-on-photos.py']
model = dict(l1_loss=0.3)
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4),
    # the masks' lr and (no) weight decay as CoGD's x_lr_mult / x_weight_decay
    paramwise_cfg=dict(custom_keys={'soft_mask': dict(lr_mult=50.0, decay_mult=0.0)}))
