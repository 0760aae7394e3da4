# CoGD channel pruning on the digits-on-photos proxy (scikit-learn's digits drawn on
# scikit-image's photographs, no download; a full-precision ResNet-20 reaches ~96%, not
# the ceiling). GAL-style soft masks on the block-internal convs (conv1 of each block,
# the convs HRank's evidence row prunes) of the unpruned ReLU CIFAR ResNet-20 of
# configs/hrank/resnet20_1xb64-30e_digits-on-photos.py; the masks and the (conv + BN
# affine) they gate are trained 4 epochs with CoGD, then half of each masked conv's
# channels are removed physically (equal FLOPs for any optimizer). The comparison (CoGD
# vs proximal SGD vs SGD from the same weights, data order and schedule, then the same
# fine-tuning) is run by
#   python tools/cogd/prune_compare.py --config configs/cogd/cogd_resnet20_1xb64-4e_digits-on-photos.py \
#       --sgd-config configs/cogd/softmask-sgd_resnet20_1xb64-4e_digits-on-photos.py \
#       --pretrained <unpruned checkpoint> --mask-epochs 4 --ft-epochs 8
# and, over three seeds, by tools/analysis_tools/evidence.py --rows cogd.
# The optimizer's settings are the digits config's (lr, l1, beta, mask lr x50), not
# re-tuned on this proxy. `python tools/train.py` runs the mask phase alone (CoGDHook
# saves the pruned model to work_dir/pruned.pth).
_base_ = [
    '../_base_/datasets/digits_on_photos_bs64.py',
    '../_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlean.projects.cogd'], allow_failed_imports=False)

pretrained = 'work_dirs/evidence/hrank/unpruned-resnet-20--reference_s0/epoch_30.pth'
architecture = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=20),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
model = dict(
    _scope_='mmrazor', type='SoftMaskPruning', architecture=architecture,
    prune_rate=0.5, mask_init=1.0, l1_loss=0.0, input_shape=(3, 32, 32))

max_epochs = 4
# CoGD (the paper's form, as configs/cogd/cogd_resnet20_1xb64-10e_digits.py): SGD on
# everything; on each (conv + BN affine, mask) pair the mask takes a proximal l1 step and
# the filters / BN affine of channels whose mask is 0 get the coupling correction, its
# strength decayed linearly to 0 over the run (total_steps filled by CoGDHook).
optim_wrapper = dict(
    constructor='CoGDOptimWrapperConstructor',
    optimizer=dict(type='CoGD', lr=0.002, momentum=0.9, weight_decay=5e-4, rule='paper',
                   select='zero', beta=10.0, decay='linear'),
    paramwise_cfg=dict(cogd_pairs=[
        dict(x=r'(.*)\.bn(\d+)\.soft_mask',
             A=[r'\1.conv\2.weight', r'\1.bn\2.weight', r'\1.bn\2.bias'],
             l1=0.3, nonneg=True, x_lr_mult=50.0)
    ]))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='CoGDHook'), dict(type='ProgressBarHook')]
