# Mix-and-match: RBNN over mmpretrain's own ResNet-18 ImageNet config, unchanged
# (its BasicBlocks with ReLU, its 7x7 stem and FC stay FP; every other conv,
# the 1x1 downsamples included, becomes an RBNNConv2d).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
custom_imports = dict(imports=['mmlean.projects.rbnn'], allow_failed_imports=False)
model = dict(_delete_=True, _scope_='mmrazor', type='RBNN',
             architecture={{_base_.model}})
custom_hooks = [dict(type='RBNNHook')]
