# Adaptive RetinaNet with the IFF feedback head (mmlean.projects.iff, arXiv 2006.12708) on
# TinyPerson: the same head run twice with the 3x3 feedback conv between the passes.
# No published TinyPerson number for this combination.
_base_ = ['./adaptive-retinanet_r50_fpn_1xb2-12e_tinyperson640.py']
custom_imports = dict(imports=['mmlean.projects.tinyperson', 'mmlean.projects.iff'],
                      allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False, init='normal', std=0.01)))
