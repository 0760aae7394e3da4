"""The VGG-16 with BatchNorm used on CIFAR by pruning papers (HRank, ...)."""
from typing import Sequence, Union

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS

VGG16_CFG = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M',
             512, 512, 512)


@MODELS.register_module()
class CIFARVGG(BaseBackbone):
    """VGG with BN for 32x32 inputs (HRank's ``vgg_16_bn``).

    Convs 3x3 + BN + ReLU in ``features`` following ``cfg`` ('M' = 2x2
    max-pool); HRank's VGG-16 has 13 convs and four pools, so 32x32 inputs
    end at 512x2x2; pair it with a global average pool and
    ``StackedLinearClsHead(mid_channels=[512])`` (Linear 512-512, BN1d, ReLU,
    Linear 512-10) for the paper's 313.73M-FLOPs, 14.98M-parameter model.

    Args:
        cfg (Sequence[int | str]): widths and 'M'. Defaults to VGG-16's.
        in_channels (int): Defaults to 3.
        conv_cfg, norm_cfg, act_cfg (dict): mmcv layer configs.
        init_cfg: HRank initializes BN weights to 0.5.
    """

    def __init__(self, cfg: Sequence[Union[int, str]] = VGG16_CFG, in_channels: int = 3,
                 conv_cfg=None, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'),
                 init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                           dict(type='Constant', val=0.5, bias=0.0, layer='_BatchNorm'))):
        super().__init__(init_cfg)
        layers = []
        prev = in_channels
        for item in cfg:
            if item == 'M':
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                continue
            layers += [build_conv_layer(conv_cfg, prev, int(item), 3, padding=1, bias=True),
                       build_norm_layer(norm_cfg, int(item))[1],
                       build_activation_layer(act_cfg)]
            prev = int(item)
        self.features = nn.Sequential(*layers)
        self.out_channels = prev

    def forward(self, x):
        return (self.features(x), )
