"""Small classifier necks used by binary networks."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS


@MODELS.register_module()
class PoolBatchNormNeck(nn.Module):
    """Global average pooling, then ``BatchNorm1d`` of the pooled features.

    The head of RBNN/IR-Net ResNets: ``avgpool -> BatchNorm1d -> FC``.

    Args:
        in_channels (int): channels of the last feature map.
    """

    def __init__(self, in_channels: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(in_channels)

    def forward(self, inputs):
        x = inputs[-1] if isinstance(inputs, (tuple, list)) else inputs
        return (self.bn(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)), )


@MODELS.register_module()
class FlattenNeck(nn.Module):
    """Flatten the last feature map to (N, C*H*W) (VGG-style FC heads)."""

    def forward(self, inputs):
        x = inputs[-1] if isinstance(inputs, (tuple, list)) else inputs
        return (torch.flatten(x, 1), )
