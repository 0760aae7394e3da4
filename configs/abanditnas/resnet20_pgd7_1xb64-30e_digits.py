# The hand-designed baseline of the ABanditNAS digits learning check: a CIFAR ResNet-20
# (one input channel) trained with the same PGD-7 adversarial training, schedule and robust
# test as abanditnas_c8l6-pgd7_1xb64-30e_digits.py.
_base_ = ['./abanditnas_c8l6-pgd7_1xb64-30e_digits.py']
model = dict(architecture=dict(
    _delete_=True,
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=20, in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0))))
