# Adversarial (PGD-7) training of an ABanditNAS cell set on the 16x16 digits-on-photos proxy
# (RGB, no download; mmlean.datasets.DigitsOnPhotosDataset): the network and attacks of
# abanditnas_c8l6-pgd7_1xb64-30e_digits.py (6 cells, C = 8, affine BN) with CIFAR-10's
# eps = 8/255 and step 2/255, trained 15 epochs on fresh renders of the training digits (4 per
# digit and epoch) and tested on the fixed 3,240 renders of the held-out digits, clean and
# under FGSM, MI-FGSM-10, PGD-7 and PGD-20 (torchattacks). For the cells searched by
# abanditnas_supernet-c8-l6_1xb64-search_digits-on-photos16.py (or drawn by
# tools/analysis_tools/nas_random_cells.py abandit):
#   python tools/train.py THIS --cfg-options model.architecture.fix_subnet=<search>/fix_subnet.yaml
# (default: the released ABANDIT_CIFAR_1 cells).
# Trained from scratch with PGD-7 this network stays at chance on the photos (a random cell
# set of the space: loss 2.31 after 3 epochs at eps 8/255, and for 6 epochs even at 2/255),
# while trained clean it reaches 86.6% in 15 epochs, and PGD-7 fine-tuning of that clean
# network at 2/255 trains at once (76% clean accuracy after one epoch). Two clean epochs
# and a 3-epoch ramp were not enough (the clean network is still at chance after 2 epochs:
# the loss stayed at 2.29-2.31 through the ramp). So the first 5 epochs train clean (the
# clean twin is at 59% after 6) and eps (with the step) grows linearly to 8/255 over the
# next 5 (mmlean.adversarial.AttackWarmupHook), then 5 epochs at 8/255: a proxy's choice,
# not the paper's recipe.
_base_ = ['./abanditnas_c8l6-pgd7_1xb64-30e_digits.py']
custom_imports = dict(imports=['mmlean.projects.abanditnas', 'mmlean.datasets'],
                      allow_failed_imports=False)

eps, step = 8 / 255, 2 / 255
# pixels to [0, 1] (the attacks work there); the backbone normalizes with the 16x16 test
# set's statistics (configs/_base_/datasets/digits_on_photos16_bs64.py) / 255
data_preprocessor = dict(num_classes=10, mean=[0.0] * 3, std=[255.0] * 3)
rgb_photos = dict(in_channels=3, mean=[m / 255 for m in (130.3, 117.9, 112.0)],
                  std=[s / 255 for s in (61.1, 56.5, 58.0)])
# (the backbone templates of the bases too, so no other statistics stay in the config)
backbone = supernet_backbone = rgb_photos
model = dict(architecture=dict(cfg=dict(backbone=rgb_photos)), attack=dict(eps=eps, alpha=step))
train_pipeline = [dict(type='PackInputs')]  # fresh renders replace the digits' random crops
test_pipeline = [dict(type='PackInputs')]
photos = dict(_delete_=True, type='DigitsOnPhotosDataset', image_size=16)
digits = photos
train_dataloader = dict(dataset=dict(photos, split='train', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(photos, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 15
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
custom_hooks = [dict(type='ProgressBarHook'),
                dict(type='AttackWarmupHook', clean_epochs=5, ramp_epochs=5)]
test_cfg = dict(attacks=[
    dict(name='FGSM', type='FGSM', eps=eps),
    dict(name='MI-FGSM-10', type='MIFGSM', eps=eps, alpha=step, steps=10, decay=1.0),
    dict(name='PGD-7', type='PGD', eps=eps, alpha=step, steps=7, random_start=True),
    dict(name='PGD-20', type='PGD', eps=eps, alpha=step, steps=20, random_start=True),
])
