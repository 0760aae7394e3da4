# The W1A1 network of bnas-xnor-c36l20-1w1a_1xb96-600e_cifar10.py at the
# "larger" width, 44 initial channels (see that file for what is unverified).
_base_ = ['./bnas-xnor-c36l20-1w1a_1xb96-600e_cifar10.py']
base_channels = 44
model = dict(cfg=dict(backbone=dict(base_channels=base_channels),
                      head=dict(in_channels=16 * base_channels)))
