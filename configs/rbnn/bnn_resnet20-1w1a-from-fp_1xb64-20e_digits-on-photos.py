# The plain binary twin of rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py: the
# same network, start and schedule with sign + clipped STE and a learned scale, no rotation,
# no (k, t) schedule.
_base_ = ['./rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py']
model = dict(conv_cfg=dict(_delete_=True, type='BinaryConv2d'))
custom_hooks = [dict(type='ProgressBarHook')]
