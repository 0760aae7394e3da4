from .cifar_resnet import BiRealResNet, CIFARBasicBlock, CIFARResNet, PadShortcut
from .cifar_vgg import CIFARVGG
from .vgg_small import VGGSmall

__all__ = ["CIFARResNet", "CIFARBasicBlock", "PadShortcut", "BiRealResNet", "VGGSmall", "CIFARVGG"]
