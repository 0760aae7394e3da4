"""CSRNet's dilated back end (the front end is mmpretrain's VGG-16)."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.registry import MODELS


@MODELS.register_module()
class CSRNetBackEnd(BaseModule):
    """The back end of CSRNet (Li et al., "CSRNet: Dilated Convolutional Neural Networks
    for Understanding the Highly Congested Scenes", CVPR 2018, Sec. 3.1, Table 3,
    configuration B): six ``3 x 3`` convs of dilation 2 with 512, 512, 512, 256,
    128, 64 channels, each followed by ReLU. The front end is the first ten
    convs of VGG-16 (mmpretrain ``VGG(depth=16, num_stages=4,
    with_last_pool=False)``: output stride 8), the output layer a ``1 x 1``
    conv (:class:`DensityHead`).

    Args:
        in_channels (int): Defaults to 512 (VGG-16 conv4_3).
        channels (Sequence[int]): Defaults to CSRNet's.
        dilation (int): 2 in configuration B (1, 2 and 4 are the paper's A, B, D).
    """

    def __init__(self, in_channels: int = 512,
                 channels: Sequence[int] = (512, 512, 512, 256, 128, 64), dilation: int = 2,
                 norm_cfg: Union[Dict, None] = None,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg)
        layers = []
        for c in channels:
            layers.append(ConvModule(in_channels, c, 3, padding=dilation, dilation=dilation,
                                     norm_cfg=norm_cfg, act_cfg=dict(type='ReLU')))
            in_channels = c
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_channels

    def forward(self, x: Union[torch.Tensor, Tuple[torch.Tensor, ...]]) -> torch.Tensor:
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return self.layers(x)
