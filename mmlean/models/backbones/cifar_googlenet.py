"""GoogLeNet for CIFAR (the widely used kuangliu variant HRank prunes)."""
import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


def conv_bn_relu(cin, cout, k):
    return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(True)]


class Inception(nn.Module):
    """Four branches concatenated: 1x1 | 1x1-3x3 | 1x1-3x3-3x3 | maxpool-1x1."""

    def __init__(self, in_planes, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes):
        super().__init__()
        self.branch1x1 = nn.Sequential(*conv_bn_relu(in_planes, n1x1, 1))
        self.branch3x3 = nn.Sequential(*conv_bn_relu(in_planes, n3x3red, 1),
                                       *conv_bn_relu(n3x3red, n3x3, 3))
        self.branch5x5 = nn.Sequential(*conv_bn_relu(in_planes, n5x5red, 1),
                                       *conv_bn_relu(n5x5red, n5x5, 3),
                                       *conv_bn_relu(n5x5, n5x5, 3))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         *conv_bn_relu(in_planes, pool_planes, 1))
        self.splits = (n1x1, n3x3, n5x5, pool_planes)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch3x3(x), self.branch5x5(x),
                          self.branch_pool(x)], 1)


# name: (in, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool)
INCEPTIONS = (
    ('a3', (192, 64, 96, 128, 16, 32, 32)), ('b3', (256, 128, 128, 192, 32, 96, 64)),
    ('a4', (480, 192, 96, 208, 16, 48, 64)), ('b4', (512, 160, 112, 224, 24, 64, 64)),
    ('c4', (512, 128, 128, 256, 24, 64, 64)), ('d4', (512, 112, 144, 288, 32, 64, 64)),
    ('e4', (528, 256, 160, 320, 32, 128, 128)), ('a5', (832, 256, 160, 320, 32, 128, 128)),
    ('b5', (832, 384, 192, 384, 48, 128, 128)),
)


@MODELS.register_module()
class CIFARGoogLeNet(BaseBackbone):
    """`GoogLeNet <https://arxiv.org/abs/1409.4842>`_ adapted to 32x32 inputs
    (3x3 stem with 192 maps, nine Inception modules, the 5x5 branch as two
    3x3 convs, max-pools after b3 and e4); 1.52 GFLOPs and 6.15M parameters
    with its 10-class FC, the model of HRank's CIFAR table. Outputs
    (N, 1024, 8, 8).
    """

    def __init__(self, init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                                 dict(type='Constant', val=1, bias=0, layer='_BatchNorm'))):
        super().__init__(init_cfg)
        self.pre_layers = nn.Sequential(*conv_bn_relu(3, 192, 3))
        for name, args in INCEPTIONS:
            self.add_module(f'inception_{name}', Inception(*args))
        self.maxpool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.out_channels = 1024

    def forward(self, x):
        x = self.pre_layers(x)
        x = self.maxpool1(self.inception_b3(self.inception_a3(x)))
        for name in ('a4', 'b4', 'c4', 'd4'):
            x = getattr(self, f'inception_{name}')(x)
        x = self.maxpool2(self.inception_e4(x))
        x = self.inception_b5(self.inception_a5(x))
        return (x, )
