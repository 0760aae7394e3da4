# IFF (arXiv 2006.12708) on RetinaNet R-50-FPN 1x, COCO: the baseline's head, run twice with a
# feedback conv between the passes; everything else is the baseline's.
# Feedback: as the official FreeAnchor/RetinaNet variant: cls logits + box deltas of all anchors (9x80 + 9x4 = 756 channels) -> 3x3 conv, no bias.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False, init='normal', std=0.01)))
