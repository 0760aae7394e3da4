# The XNOR-style twin of rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py: the
# same network, start and schedule with sign + clipped STE and one fixed scalar scale
# mean(|W|) per layer (XNORConv2d), no rotation, no (k, t) schedule.
_base_ = ['./rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py']
model = dict(conv_cfg=dict(_delete_=True, type='XNORConv2d', binary_activation=True))
custom_hooks = [dict(type='ProgressBarHook')]
