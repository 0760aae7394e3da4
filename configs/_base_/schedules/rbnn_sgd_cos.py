# RBNN's schedule (official main.py): SGD lr 0.1, momentum 0.9, weight decay
# 1e-4 on every parameter (rotation angles and scales included: see
# projects/rbnn/README.md), linear warm-up over 5 epochs, then cosine to 0.
max_epochs = 1000
warmup_epochs = 5
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
