# CP-NAS training stage on the 16x16 digits-on-photos proxy: the network and losses of
# cpnas_xnor-c16l5-w1a1_1xb64-30e_digits.py (the searched cell as a 1-bit W1A1 child, 5 cells,
# C=16, trained with cross-entropy + the kernel-level CP loss + the centre loss beside its
# full-precision parent, 'joint') on the data and schedule of
# ../bnas/bnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py. For the cell searched by
# cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits-on-photos16.py:
#   python tools/train.py THIS --cfg-options \
#       model.architecture.fix_subnet=<search>/fix_subnet.yaml \
#       model.parent.fix_subnet=<search>/fix_subnet.yaml
# Unverified in the paper (see projects/cpnas/README.md): the kernel target ('parent'),
# lambda (1e-4), the centre weight (0.01).
_base_ = ['../bnas/bnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py']
custom_imports = dict(imports=['mmlean.engine', 'mmlean.datasets', 'mmlean.projects.cpnas'],
                      allow_failed_imports=False)
child = _base_.model
parent = dict(
    child,
    cfg=dict(child.cfg, backbone=dict(
        child.cfg.backbone, conv_cfg=dict(type='Conv2d'),
        mutable_cfg=dict(child.cfg.backbone.mutable_cfg, candidates={
            name: (dict(op, conv_cfg=dict(type='Conv2d')) if 'conv_cfg' in op else op)
            for name, op in child.cfg.backbone.mutable_cfg.candidates.items()}))))
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='ChildParentTrainer',
    architecture=child,
    parent=parent,
    parent_mode='joint',
    target='parent',
    lambda_kernel=1e-4,
    lambda_center=0.01,
    num_classes=10)
