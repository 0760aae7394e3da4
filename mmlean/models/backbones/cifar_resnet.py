"""The 3-stage CIFAR ResNet of He et al. (ResNet-20/32/44/56/110)."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


class PadShortcut(nn.Module):
    """Option-A shortcut: stride-2 subsampling plus zero channels (no weights)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.stride = stride
        extra = out_channels - in_channels
        self.pad = (extra // 2, extra - extra // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad[0], self.pad[1]))


class CIFARBasicBlock(BaseModule):
    """conv3x3-BN-act-conv3x3-BN, plus shortcut, then act (He et al. 2016).

    With ``bireal=True`` each conv gets its own shortcut (Bi-Real Net style,
    used by binary networks): ``y = act(bn1(conv1 x) + shortcut(x));
    out = act(bn2(conv2 y) + y)``.
    """

    def __init__(self, in_channels, out_channels, stride=1, shortcut='A',
                 bireal=False, conv_cfg=None, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'), init_cfg=None):
        super().__init__(init_cfg)
        self.bireal = bireal
        self.conv1 = build_conv_layer(conv_cfg, in_channels, out_channels, 3,
                                      stride=stride, padding=1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, out_channels)[1]
        self.relu1 = build_activation_layer(act_cfg)
        self.conv2 = build_conv_layer(conv_cfg, out_channels, out_channels, 3,
                                      padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.relu2 = build_activation_layer(act_cfg)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == 'A':
            self.shortcut = PadShortcut(in_channels, out_channels, stride)
        elif shortcut == 'B':
            self.shortcut = nn.Sequential(
                build_conv_layer(conv_cfg, in_channels, out_channels, 1,
                                 stride=stride, bias=False),
                build_norm_layer(norm_cfg, out_channels)[1])
        else:
            raise ValueError(f"shortcut must be 'A' (zero-pad) or 'B' (1x1 conv), "
                             f'got {shortcut!r}')

    def forward(self, x):
        if self.bireal and self._fused_deploy():
            # deploy binary convs with their BN folded: each conv also adds
            # the shortcut and applies the activation in its epilogue
            out = self.conv1.forward_residual(x, self.shortcut(x), self.relu1)
            return self.conv2.forward_residual(out, out, self.relu2)
        out = self.bn1(self.conv1(x))
        if self.bireal:
            out = self.relu1(out + self.shortcut(x))
            return self.relu2(self.bn2(self.conv2(out)) + out)
        out = self.relu1(out)
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))

    def _fused_deploy(self) -> bool:
        """Both convs are bit-packed deploy convs (``forward_residual``, see
        ``mmlean.binary.convert_to_deploy``) whose BN was folded into them."""
        m = self._modules  # (each attribute read of a submodule costs ~1 us)
        return (hasattr(m['conv1'], 'forward_residual')
                and hasattr(m['conv2'], 'forward_residual')
                and isinstance(m['bn1'], nn.Identity) and isinstance(m['bn2'], nn.Identity))


@MODELS.register_module()
class CIFARResNet(BaseBackbone):
    """The CIFAR ResNet of `He et al. (CVPR 2016) <https://arxiv.org/abs/1512.03385>`_, §4.2.

    Depth ``6n + 2`` (20, 32, 44, 56, 110): a 3x3 stem with 16 channels, then
    three stages of ``n`` basic blocks with 16/32/64 channels, the last two
    starting with stride 2. This is the network HRank, RBNN and most
    compression papers call ResNet-20/56/110; mmpretrain's ``ResNet_CIFAR`` is
    a different one (ImageNet widths 64-512 with a 3x3 stem).

    The same basic-block network also covers the other shapes binary-network
    papers use: ``stage_blocks`` overrides ``depth`` (e.g. ResNet-18 for
    CIFAR: ``stage_blocks=(2, 2, 2, 2)``, 64-512 channels, shortcut 'B');
    ``stem_kernel=7, stem_stride=2, stem_pool=True`` gives the ImageNet stem
    (see :class:`BiRealResNet`).

    Args:
        depth (int): 6n + 2. Defaults to 20.
        stage_blocks (Sequence[int], optional): blocks per stage; overrides
            ``depth``.
        in_channels (int): input channels. Defaults to 3.
        stem_channels (int): Defaults to 16.
        stage_channels (Sequence[int]): Defaults to (16, 32, 64).
        shortcut (str): 'A' zero-pad shortcut (the paper's CIFAR choice,
            no parameters) or 'B' 1x1 conv + BN. Defaults to 'A'.
        bireal (bool): Bi-Real style shortcut around every conv. Defaults to False.
        stem_act (bool): apply the activation after the stem BN. Defaults to True.
        stem_kernel, stem_stride (int): stem conv. Defaults to 3, 1.
        stem_pool (bool): 3x3/2 max-pool after the stem. Defaults to False.
        out_indices (Sequence[int], optional): stages to output. Defaults to
            the last one.
        conv_cfg, norm_cfg, act_cfg (dict): layer configs of mmcv.
        norm_eval (bool): keep BN in eval mode while training. Defaults to False.
    """

    def __init__(self, depth: int = 20, in_channels: int = 3,
                 stem_channels: int = 16,
                 stage_channels: Sequence[int] = (16, 32, 64),
                 stage_blocks: Sequence[int] = None,
                 shortcut: str = 'A', bireal: bool = False,
                 stem_act: bool = True, stem_kernel: int = 3,
                 stem_stride: int = 1, stem_pool: bool = False,
                 out_indices: Sequence[int] = None,
                 conv_cfg=None, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'), norm_eval: bool = False,
                 init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                           dict(type='Constant', val=1, layer='_BatchNorm'))):
        super().__init__(init_cfg)
        if stage_blocks is None:
            if (depth - 2) % 6 != 0 or depth < 8:
                raise ValueError(f'CIFARResNet depth must be 6n + 2 (20, 32, 44, '
                                 f'56, 110, ...), got {depth}')
            stage_blocks = [(depth - 2) // 6] * len(stage_channels)
        if len(stage_blocks) != len(stage_channels):
            raise ValueError(f'stage_blocks {tuple(stage_blocks)} and stage_channels '
                             f'{tuple(stage_channels)} must have the same length')
        if out_indices is None:
            out_indices = (len(stage_channels) - 1, )
        for i in out_indices:
            if not 0 <= i < len(stage_channels):
                raise ValueError(f'out_indices {tuple(out_indices)} out of range '
                                 f'for {len(stage_channels)} stages')
        self.depth = depth
        self.stage_blocks = tuple(stage_blocks)
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval
        self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels,
                                      stem_kernel, stride=stem_stride,
                                      padding=stem_kernel // 2, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, stem_channels)[1]
        self.relu = build_activation_layer(act_cfg) if stem_act else nn.Identity()
        self.maxpool = (nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
                        if stem_pool else nn.Identity())
        self.layers = []
        channels = stem_channels
        for i, out_channels in enumerate(stage_channels):
            blocks = []
            for j in range(stage_blocks[i]):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(CIFARBasicBlock(
                    channels, out_channels, stride, shortcut, bireal,
                    conv_cfg, norm_cfg, act_cfg))
                channels = out_channels
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*blocks))
            self.layers.append(name)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self


@MODELS.register_module()
class BiRealResNet(CIFARResNet):
    """ImageNet ResNet-18/34 with a shortcut around every conv (`Bi-Real Net
    <https://arxiv.org/abs/1808.00278>`_ structure, used by RBNN on ImageNet).

    7x7/2 stem + BN + activation + 3x3/2 max-pool, four stages of basic blocks
    (64-512 channels) with ``out = act(bn(conv(x)) + shortcut(x))`` per conv
    and a 1x1 conv + BN downsample (option 'B').

    Args:
        depth (int): 18 or 34.
        **kwargs: see :class:`CIFARResNet`.
    """
    arch_settings = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}

    def __init__(self, depth: int = 18, **kwargs):
        if depth not in self.arch_settings:
            raise ValueError(f'BiRealResNet depth must be 18 or 34, got {depth}')
        defaults = dict(stem_channels=64, stage_channels=(64, 128, 256, 512),
                        stage_blocks=self.arch_settings[depth], shortcut='B',
                        bireal=True, stem_kernel=7, stem_stride=2, stem_pool=True)
        defaults.update(kwargs)
        super().__init__(depth=depth, **defaults)
