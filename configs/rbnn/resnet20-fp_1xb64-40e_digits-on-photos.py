# The full-precision twin of rbnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py.
_base_ = ['./rbnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py']
model = dict(_delete_=True, type='ImageClassifier', backbone=_base_.architecture.backbone,
             neck=_base_.architecture.neck, head=_base_.architecture.head)
custom_hooks = [dict(type='ProgressBarHook')]
