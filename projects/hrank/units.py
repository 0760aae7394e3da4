"""Which convs HRank prunes, in network order, and which feature map ranks each.

HRank ranks the feature map *after* the non-linearity that follows a conv
(after the residual addition for the last conv of a ResNet block), and the
official compress-rate strings give one rate per conv in a fixed order
(spec §2.2-2.3). :func:`prune_units` returns that order for the supported
backbones, with module paths relative to the model passed in.
"""
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import torch.nn as nn
import torch.nn.functional as F


@dataclass
class PruneUnit:
    """One conv whose output filters HRank ranks and prunes.

    Attributes:
        conv (str): module path of the conv.
        rank_layer (str): module whose output is ranked.
        rank_fn (callable, optional): applied to that output first (e.g. a
            ReLU when the model reuses one ReLU module, or a channel slice).
        stream (bool): the conv writes a residual stream shared with other
            convs; its filters are pruned together with them (one group).
        prunable (bool): False when the channels cannot be removed physically
            (see ``reason``); the rate is then reported and not applied.
        reason (str): why not prunable.
    """
    conv: str
    rank_layer: str
    rank_fn: Optional[Callable] = None
    stream: bool = False
    prunable: bool = True
    reason: str = ''
    members: List[str] = field(default_factory=list)


def _prefix(prefix, name):
    return f'{prefix}.{name}' if prefix else name


def cifar_resnet_units(backbone, prefix: str) -> List[PruneUnit]:
    """CIFARResNet (ResNet-20/56/110): stem, then (conv1, conv2) per block."""
    from mmlean.models.backbones import PadShortcut
    option_a = any(isinstance(m, PadShortcut) for m in backbone.modules())
    why = ('residual stream with zero-padding (option A) shortcuts: its channels are '
           'carried by the shortcut, so they cannot be removed per conv (HRank masks '
           'them; mmlean prunes the block-internal conv1 channels, as HRankPlus)')
    units = [PruneUnit(_prefix(prefix, 'conv1'), _prefix(prefix, 'relu'), stream=True,
                       prunable=not option_a, reason=why if option_a else '')]
    for stage in backbone.layers:
        for i, _ in enumerate(getattr(backbone, stage)):
            block = _prefix(prefix, f'{stage}.{i}')
            units.append(PruneUnit(f'{block}.conv1', f'{block}.relu1'))
            units.append(PruneUnit(f'{block}.conv2', f'{block}.relu2', stream=True,
                                   prunable=not option_a, reason=why if option_a else ''))
    return units


def cifar_vgg_units(backbone, prefix: str) -> List[PruneUnit]:
    """CIFARVGG: every conv, ranked after its ReLU; the last conv is kept whole
    (HRank never ranks or masks VGG-16's 13th conv)."""
    feats = backbone.features
    convs = [i for i, m in enumerate(feats) if isinstance(m, nn.Conv2d)]
    units = []
    for n, i in enumerate(convs):
        last = n == len(convs) - 1
        units.append(PruneUnit(_prefix(prefix, f'features.{i}'), _prefix(prefix, f'features.{i + 2}'),
                               prunable=not last,
                               reason='the last conv is never pruned in HRank' if last else ''))
    return units


def mmpretrain_resnet_units(backbone, prefix: str, prune_stream: bool = True) -> List[PruneUnit]:
    """mmpretrain ResNet with Bottleneck blocks (ResNet-50): stem, then per stage
    [downsample, b0.conv1, b0.conv2, b0.conv3, b1.conv1, ...] (official order).

    conv1/conv2 are ranked after their BN + ReLU (mmpretrain reuses one ReLU
    module per block, so the BN output is hooked and the ReLU applied); conv3
    and the downsample after the block's post-addition ReLU (the downsample
    reuses block 0's rank, as the official code does).
    """
    relu = F.relu
    why = 'residual stream feeding modules outside the traced model (e.g. an FPN)'
    units = [PruneUnit(_prefix(prefix, 'conv1'), _prefix(prefix, 'maxpool'), stream=True,
                       prunable=prune_stream, reason='' if prune_stream else why)]
    for stage in backbone.res_layers:
        layer = getattr(backbone, stage)
        for i, block in enumerate(layer):
            b = _prefix(prefix, f'{stage}.{i}')
            if i == 0 and block.downsample is not None:
                units.append(PruneUnit(f'{b}.downsample.0', b, stream=True,
                                       prunable=prune_stream, reason='' if prune_stream else why))
            units.append(PruneUnit(f'{b}.conv1', f'{b}.{block.norm1_name}', rank_fn=relu))
            units.append(PruneUnit(f'{b}.conv2', f'{b}.{block.norm2_name}', rank_fn=relu))
            units.append(PruneUnit(f'{b}.conv3', b, stream=True, prunable=prune_stream,
                                   reason='' if prune_stream else why))
    return units


def prune_units(model: nn.Module, backbone_path: str = 'backbone',
                prune_stream: bool = True) -> List[PruneUnit]:
    """The HRank units of ``model`` (a classifier/detector or a bare backbone).

    Raises:
        TypeError: the backbone type is not supported, naming it.
    """
    from mmpretrain.models.backbones import ResNet as PretrainResNet

    from mmlean.models.backbones import CIFARResNet, CIFARVGG
    backbone = model.get_submodule(backbone_path) if backbone_path else model
    if isinstance(backbone, CIFARResNet):
        return cifar_resnet_units(backbone, backbone_path)
    if isinstance(backbone, CIFARVGG):
        return cifar_vgg_units(backbone, backbone_path)
    try:
        from mmdet.models.backbones import ResNet as DetResNet
    except ImportError:  # pragma: no cover
        DetResNet = ()
    if isinstance(backbone, (PretrainResNet, DetResNet)) and hasattr(backbone, 'res_layers'):
        return mmpretrain_resnet_units(backbone, backbone_path, prune_stream)
    raise TypeError(f'HRank has no prune-unit table for backbone {type(backbone).__name__} '
                    '(supported: CIFARResNet, CIFARVGG, mmpretrain/mmdet ResNet)')
