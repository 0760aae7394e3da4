# IFF (arXiv 2006.12708) on FCOS R-50-FPN (caffe, GN head) 1x, COCO: the baseline's head, run twice with a
# feedback conv between the passes; everything else is the baseline's.
# Feedback: not in the released code: cls logits + stride-normalised distances (84 channels), as RetinaNet.
_base_ = ['mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False, init='normal', std=0.01)))
