"""DenseNet-40 for CIFAR (growth 12, no bottleneck), as HRank prunes it."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


class DenseLayer(nn.Module):
    """BN-ReLU-conv3x3 producing ``growth`` maps, concatenated to the input."""

    def __init__(self, in_channels: int, growth: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv1(self.relu(self.bn1(x)))], 1)


class Transition(nn.Module):
    """BN-ReLU-conv1x1-avgpool2 between dense blocks."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv1(self.relu(self.bn1(x))), 2)


@MODELS.register_module()
class CIFARDenseNet(BaseBackbone):
    """`DenseNet <https://arxiv.org/abs/1608.06993>`_ for 32x32 inputs
    (HRank's ``densenet_40``: depth 40, growth 12, compression 1, no
    bottleneck; 282M FLOPs, 1.04M parameters with its 10-class FC).

    A 3x3 stem conv (2 x growth maps), three dense blocks of ``(depth - 4)//3``
    layers with two transitions, then BN + ReLU; the output is (N, C, 8, 8)
    with C = 456 for depth 40.

    Args:
        depth (int): 3n + 4. Defaults to 40.
        growth (int): Defaults to 12.
        compression (float): transition output = input // compression.
    """

    def __init__(self, depth: int = 40, growth: int = 12, compression: float = 1,
                 init_cfg=(dict(type='Kaiming', layer='Conv2d', mode='fan_out'),
                           dict(type='Constant', val=1, bias=0, layer='_BatchNorm'))):
        super().__init__(init_cfg)
        if (depth - 4) % 3 != 0:
            raise ValueError(f'CIFARDenseNet depth must be 3n + 4, got {depth}')
        n = (depth - 4) // 3
        channels = 2 * growth
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1, bias=False)
        for b in range(1, 4):
            layers = []
            for _ in range(n):
                layers.append(DenseLayer(channels, growth))
                channels += growth
            self.add_module(f'dense{b}', nn.Sequential(*layers))
            if b < 3:
                out = int(channels // compression)
                self.add_module(f'trans{b}', Transition(channels, out))
                channels = out
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.out_channels = channels
        self.growth = growth

    def forward(self, x):
        x = self.conv1(x)
        x = self.trans1(self.dense1(x))
        x = self.trans2(self.dense2(x))
        x = self.relu(self.bn(self.dense3(x)))
        return (x, )
