# rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py with the global gradient norm
# clipped at 10: a diagnostic variant, not in the paper. On this proxy RBNN diverges late
# in its schedule: on fixed weights (the full-precision start) the global gradient norm is
# ~7 for t <= 1.3, ~150 at t = 2.5 and ~3e4 at t = 5 (tools/analysis_tools/
# rbnn_grad_norm.py), because the training-aware sign's activation backward (peak slope
# sqrt(2) t, applied in each of the 18 binary layers) amplifies the gradient towards the
# first layers as t grows. Clipping at 10 (above the ~7 of the healthy phase) leaves the
# early epochs alone and bounds the late steps; if RBNN then keeps its accuracy, the
# divergence is the schedule's, not the rotation's.
_base_ = ['./rbnn_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py']
optim_wrapper = dict(clip_grad=dict(max_norm=10.0, norm_type=2))
