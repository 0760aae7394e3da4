# IFF (arXiv 2006.12708) on SSD300 VGG-16, VOC07+12: the baseline's head, run twice with a
# feedback conv between the passes; everything else is the baseline's.
# Feedback: official SSD variant: class logits (A x 21) -> 1x1 conv per source map, sigmoid.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py']
custom_imports = dict(imports=['mmlean.projects.iff'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='IFFHead',
        head={{_base_.model.bbox_head}},
        feedback=dict(inputs='cls', act='sigmoid', kernel_size=1, bias=True, init='normal', std=0.01)))
