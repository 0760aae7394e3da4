# The IFF learning check: the baseline's RetinaNet with the IFF feedback loop
# (cls + box of pass 1 -> sigmoid -> 3x3 conv, added to the head input).
_base_ = ['./retinanet_r18_fpn_1xb8-1200i_shapes.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False,
                      init='normal', std=0.01)))
