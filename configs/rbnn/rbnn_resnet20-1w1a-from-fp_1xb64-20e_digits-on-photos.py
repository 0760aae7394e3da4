# RBNN ResNet-20 (W1A1) on the digits-on-photos proxy, started from its full-precision
# twin (resnet20-fp_1xb64-40e_digits-on-photos.py, same seed) and trained 20 epochs with
# RBNN's recipe (SGD 0.1, 5 warm-up epochs, cosine; the rotation hook and (k, t) schedule
# over these 20 epochs). Deviation, on purpose: the paper trains CIFAR-10 models from
# scratch; on this proxy every 1-bit ResNet-20 we tried from scratch (RBNN, sign/STE,
# XNOR-style, with or without Bi-Real shortcuts) stayed at chance for as long as we ran it
# (13 epochs), while the full-precision twin leaves its plateau after 4. Starting every
# binary twin from the same full-precision weights (as Bi-Real Net and XNOR-Net++ do) makes
# the three binarizations comparable on the same start. Twins:
# bnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py (plain sign/STE),
# xnor_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py (scalar mean(|W|)).
_base_ = ['./rbnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py']

pretrained = 'work_dirs/resnet20-fp_1xb64-40e_digits-on-photos/epoch_40.pth'
model = dict(architecture=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))

max_epochs = 20
warmup_epochs = 5
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0,
         end=warmup_epochs),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
