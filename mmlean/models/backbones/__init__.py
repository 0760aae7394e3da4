from .cifar_resnet import CIFARBasicBlock, CIFARResNet, PadShortcut

__all__ = ['CIFARResNet', 'CIFARBasicBlock', 'PadShortcut']
