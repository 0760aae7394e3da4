# BNAS-XNOR on CIFAR-10, the released model (BNAS, AAAI 2020, arXiv 1911.10862;
# official github.com/bczhangbczhang/BNAS, script/cifar10_test_xnor.sh and
# weights/XNOR.pth.tar): cell BNAS_XNOR_1, 20 cells, 36 initial channels,
# auxiliary head, 1-bit XNOR weights / 32-bit activations.
# Trained with DARTS's evaluation schedule (_base_/darts_eval_cifar10.py); the
# BNAS retraining schedule is not published.
_base_ = ['./_base_/bnas_xnor_eval_net.py', './_base_/darts_eval_cifar10.py']
model = dict(cfg=dict(data_preprocessor=_base_.data_preprocessor))
