# The AMSNet supernet at the width we propose for the real datasets (unverified: the paper's
# channel and node counts were not checked): C = 32 at stride 4 (doubling at each
# reduction), 3 nodes per cell as the synthetic-set space, so a fix_subnet searched there
# (AMSNet_synthetic-crowd.yaml) rebuilds here at twice the width, as DARTS transfers cells.
_base_ = ['./amsnet_supernet.py']
supernet = dict(
    backbone=dict(base_channels=32),
    neck=dict(in_channels=[96, 192, 384], channels=32),
    head=dict(in_channels=96))
