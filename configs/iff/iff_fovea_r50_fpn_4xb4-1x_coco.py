# IFF (arXiv 2006.12708) on FoveaBox R-50-FPN 1x, COCO: the baseline's head, run twice with a
# feedback conv between the passes; everything else is the baseline's.
# Feedback: official FoveaBox variant: 80 + 4 = 84 -> 256, 3x3 with bias, LeakyReLU(0.01), normal(0.01) init.
_base_ = ['mmdet::foveabox/fovea_r50_fpn_4xb4-1x_coco.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='leaky_relu', kernel_size=3, bias=True, init='normal', std=0.01)))
