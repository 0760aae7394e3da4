# CP-NAS training stage on CIFAR-10: a searched cell as a 1-bit (W1A1) DARTS evaluation
# network (20 cells, C=36, auxiliary head; XNOR convs binarizing their input, CP-NAS's binary
# separable design) trained with the CP loss beside its full-precision parent (the same
# cells), trained jointly here. With a trained parent instead:
#   --cfg-options model.parent_mode=frozen \
#       model.parent.init_cfg="dict(type='Pretrained',checkpoint='<fp>/epoch_600.pth')"
# The paper's evaluation-network sizes and schedule are not published: DARTS's evaluation
# schedule (600 epochs, batch 96, SGD 0.025 cosine, cutout, drop path 0.2, auxiliary 0.4).
# Default cells: the released BNAS_XNOR_1 (CP-NAS's searched cells are not released); pass
# yours with model.architecture.fix_subnet=... and model.parent.fix_subnet=...
_base_ = ['../bnas/bnas-xnor-c36l20-1w1a_1xb96-600e_cifar10.py']
custom_imports = dict(
    imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.models', 'mmlean.projects.cpnas'],
    allow_failed_imports=False)
child = _base_.model
fp = dict(type='Conv2d')
parent = dict(
    child,
    cfg=dict(child.cfg, backbone=dict(
        child.cfg.backbone, conv_cfg=fp,
        mutable_cfg=dict(child.cfg.backbone.mutable_cfg, candidates={
            name: (dict(op, conv_cfg=fp) if 'conv_cfg' in op else op)
            for name, op in child.cfg.backbone.mutable_cfg.candidates.items()}))))
model = dict(
    _delete_=True, _scope_='mmrazor', type='ChildParentTrainer',
    architecture=child, parent=parent, parent_mode='joint', target='parent',
    lambda_kernel=1e-4, lambda_center=0.01, num_classes=10)
