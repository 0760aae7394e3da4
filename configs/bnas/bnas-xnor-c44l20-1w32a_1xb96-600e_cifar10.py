# BNAS-XNOR "larger" on CIFAR-10: the same cell and depth as the released model
# with 44 initial channels (official script/cifar10_test_xnor_larger.sh,
# weights/XNOR_larger.pth.tar). DARTS's evaluation schedule; the BNAS retraining
# schedule is not published.
_base_ = ['./bnas-xnor-c36l20-1w32a_1xb96-600e_cifar10.py']
base_channels = 44
model = dict(cfg=dict(backbone=dict(base_channels=base_channels),
                      head=dict(in_channels=16 * base_channels)))
