from .cifar_resnet import BiRealResNet, CIFARBasicBlock, CIFARResNet, PadShortcut
from .vgg_small import VGGSmall

__all__ = ['CIFARResNet', 'CIFARBasicBlock', 'PadShortcut', 'BiRealResNet', 'VGGSmall']
