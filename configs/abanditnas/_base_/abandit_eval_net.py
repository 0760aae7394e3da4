# ABanditNAS-10 (official test code github.com/bczhangbczhang/ABanditNAS,
# models/darts_cnn_bandit_all.py, script/cifar10_darts_defense_all_{1,2}.sh): the 6 searched
# cells mapped onto 10 cells (a a b b c d d e f f; reductions at cells 3 and 6), C = 48,
# auxiliary head after cell 6, BN momentum 0.1 / eps 1e-3, input normalized inside the model.
# manual_denoise: the extra dot-product denoising blocks after cells 2, 5 and 7 (on for
# ABANDIT_CIFAR_1, off for ABANDIT_CIFAR_2, as the official scripts).
_base_ = ['./abandit_space.py']
eval_norm_cfg = dict(type='BN', eps=1e-3, momentum=0.1)
eval_candidates = {name: dict(cfg, norm_cfg=eval_norm_cfg)
                   for name, cfg in _base_.candidates.items()}
base_channels = 48
architecture = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(
        type='mmrazor.ABanditBackbone',
        in_channels=3,
        base_channels=base_channels,
        num_layers=10,
        num_cell_types=6,
        num_nodes=4,
        manual_denoise=True,
        auxliary=True,
        aux_channels=128,
        aux_out_channels=768,
        mutable_cfg=dict(type='mmrazor.ReducibleMutableOP', candidates=eval_candidates),
        route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=False),
        mean=_base_.cifar_mean,
        std=_base_.cifar_std,
        norm_cfg=eval_norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mmrazor.DartsAuxClsHead',
        num_classes=10,
        in_channels=16 * base_channels,  # 4 nodes x 4C after two reductions
        aux_in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        aux_loss=dict(type='CrossEntropyLoss', loss_weight=0.4),
        topk=(1, ),
        cal_acc=False))
