# IFF (arXiv 2006.12708) on FreeAnchor R-50-FPN 1x, COCO: the baseline's head, run twice with a
# feedback conv between the passes; everything else is the baseline's.
# Feedback: official FreeAnchor variant: 756 -> 256, 3x3, sigmoid, no bias.
_base_ = ['mmdet::free_anchor/freeanchor_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False, init='normal', std=0.01)))
