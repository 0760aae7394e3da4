"""VGG-small for CIFAR, the binary-network benchmark model."""
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


@MODELS.register_module()
class VGGSmall(BaseBackbone):
    """VGG-small of `LQ-Nets <https://arxiv.org/abs/1807.10029>`_ as used by
    binary networks (XNOR-Net/IR-Net/RBNN on CIFAR-10).

    conv0 (3->128) + BN + act, then convs 128->128, 128->256, 256->256,
    256->512, 512->512, a 2x2 max-pool after the 2nd, 4th and 6th conv; every
    later conv is followed by (pool), BN and the activation, in that order.
    Outputs (N, 512, 4, 4) for 32x32 inputs; flatten it for the classifier.

    Args:
        in_channels (int): Defaults to 3.
        channels (tuple): widths of the six convs. Defaults to
            (128, 128, 256, 256, 512, 512).
        conv_cfg, norm_cfg, act_cfg (dict): mmcv layer configs.
    """

    def __init__(self, in_channels=3, channels=(128, 128, 256, 256, 512, 512),
                 conv_cfg=None, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='Hardtanh'),
                 init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                           dict(type='Constant', val=1, layer='_BatchNorm'))):
        super().__init__(init_cfg)
        layers = []
        prev = in_channels
        for i, width in enumerate(channels):
            layers.append(build_conv_layer(conv_cfg, prev, width, 3, padding=1,
                                           bias=False))
            if i % 2 == 1:
                layers.append(nn.MaxPool2d(2, 2))
            layers.append(build_norm_layer(norm_cfg, width)[1])
            layers.append(build_activation_layer(act_cfg))
            prev = width
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return (self.features(x), )
