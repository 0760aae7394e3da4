from .cifar_densenet import CIFARDenseNet
from .cifar_googlenet import CIFARGoogLeNet
from .cifar_resnet import BiRealResNet, CIFARBasicBlock, CIFARResNet, PadShortcut
from .cifar_vgg import CIFARVGG
from .vgg_small import VGGSmall

__all__ = [
    'CIFARResNet', 'CIFARBasicBlock', 'PadShortcut', 'BiRealResNet', 'VGGSmall', 'CIFARVGG',
    'CIFARDenseNet', 'CIFARGoogLeNet'
]
