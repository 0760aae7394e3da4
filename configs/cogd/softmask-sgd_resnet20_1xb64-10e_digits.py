# The SGD baseline of cogd_resnet20_1xb64-10e_digits.py: the same model,
# data and schedule, plain SGD with the l1 penalty on the masks in the loss.
_base_ = ['./cogd_resnet20_1xb64-10e_digits.py']
model = dict(l1_loss=0.1)
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
