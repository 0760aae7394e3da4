"""Which convs HRank prunes, in network order, and which feature map ranks each.

HRank ranks the feature map *after* the non-linearity that follows a conv
(after the residual addition for the last conv of a ResNet block), and the
official compress-rate strings give one rate per conv in a fixed order
(official HRank code: the hooked modules of rank_generation.py and the
compress-rate strings of its README). :func:`prune_units` returns that order
for the supported backbones, with module paths relative to the model passed
in.
"""
import functools
from dataclasses import dataclass
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
        rate_index (int, optional): which entry of the paper's compress-rate
            string applies (default: the unit's position). GoogLeNet's
            string has one rate per Inception module.
    """
    conv: str
    rank_layer: str
    rank_fn: Optional[Callable] = None
    stream: bool = False
    prunable: bool = True
    reason: str = ''
    rate_index: Optional[int] = None


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
        units.append(PruneUnit(_prefix(prefix, f'features.{i}'),
                               _prefix(prefix, f'features.{i + 2}'),
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


def _last_channels(output, count):
    return output[:, -count:]


def _channel_range(output, start, end):
    return output[:, start:end]


def cifar_densenet_units(backbone, prefix: str) -> List[PruneUnit]:
    """CIFARDenseNet (DenseNet-40): stem, 12 dense convs, transition, ... (39).

    A conv's maps are ranked where HRank ranks them: after the BN + ReLU of
    the next layer that reads them, i.e. the last ``growth`` channels of that
    layer's ReLU output (all channels for the stem and the transitions).
    """
    growth = backbone.growth
    last = functools.partial(_last_channels, count=growth)
    blocks = [getattr(backbone, f'dense{b}') for b in (1, 2, 3)]
    units = [PruneUnit(_prefix(prefix, 'conv1'), _prefix(prefix, 'dense1.0.relu'))]
    for b, block in enumerate(blocks, 1):
        for j in range(len(block)):
            if j + 1 < len(block):
                reader = f'dense{b}.{j + 1}.relu'
            else:
                reader = f'trans{b}.relu' if b < 3 else 'relu'
            units.append(PruneUnit(_prefix(prefix, f'dense{b}.{j}.conv1'),
                                   _prefix(prefix, reader), rank_fn=last))
        if b < 3:
            units.append(PruneUnit(_prefix(prefix, f'trans{b}.conv1'),
                                   _prefix(prefix, f'dense{b + 1}.0.relu')))
    return units


# the rate of Inception module k is compress_rate[GOOGLENET_RATE[k]] (index 0 is
# the stem), as the official mask_googlenet reads it (compress_rate[cov_id - 1])
GOOGLENET_RATE = dict(a3=1, b3=2, a4=3, b4=4, c4=5, d4=6, e4=7, a5=8, b5=9)


def cifar_googlenet_units(backbone, prefix: str) -> List[PruneUnit]:
    """CIFARGoogLeNet: the stem, then per Inception module the convs the
    official ``mask_googlenet`` masks: the 1x1 branch, the 3x3 branch's 3x3
    conv, *both* 3x3 convs of the "5x5" branch, and the pool branch's conv (the
    1x1 reduce convs are not pruned). All are ranked on their branch's channels
    of the module output (after the max-pool that follows b3 and e4), as the
    official code splits them."""
    from mmlean.models.backbones.cifar_googlenet import INCEPTIONS
    units = [PruneUnit(_prefix(prefix, 'pre_layers.0'), _prefix(prefix, 'pre_layers'),
                       rate_index=0)]
    pooled = {'b3': 'maxpool1', 'e4': 'maxpool2'}
    for name, _ in INCEPTIONS:
        module = getattr(backbone, f'inception_{name}')
        reader = _prefix(prefix, pooled.get(name, f'inception_{name}'))
        start = 0
        for branch, width in zip(('branch1x1', 'branch3x3', 'branch5x5', 'branch_pool'),
                                 module.splits):
            seq = getattr(module, branch)
            convs = [i for i, m in enumerate(seq) if isinstance(m, nn.Conv2d)]
            # the output conv; the 5x5 branch also its middle 3x3 conv
            chosen = convs[-2:] if branch == 'branch5x5' else convs[-1:]
            for idx in chosen:
                units.append(PruneUnit(
                    _prefix(prefix, f'inception_{name}.{branch}.{idx}'), reader,
                    rank_fn=functools.partial(_channel_range, start=start, end=start + width),
                    rate_index=GOOGLENET_RATE[name]))
            start += width
    return units


def prune_units(model: nn.Module, backbone_path: str = 'backbone',
                prune_stream: bool = True) -> List[PruneUnit]:
    """The HRank units of ``model`` (a classifier/detector or a bare backbone).

    Raises:
        TypeError: the backbone type is not supported, naming it.
    """
    from mmpretrain.models.backbones import ResNet as PretrainResNet

    from mmlean.models.backbones import CIFARVGG, CIFARDenseNet, CIFARGoogLeNet, CIFARResNet
    backbone = model.get_submodule(backbone_path) if backbone_path else model
    if isinstance(backbone, CIFARResNet):
        return cifar_resnet_units(backbone, backbone_path)
    if isinstance(backbone, CIFARVGG):
        return cifar_vgg_units(backbone, backbone_path)
    if isinstance(backbone, CIFARDenseNet):
        return cifar_densenet_units(backbone, backbone_path)
    if isinstance(backbone, CIFARGoogLeNet):
        return cifar_googlenet_units(backbone, backbone_path)
    try:
        from mmdet.models.backbones import ResNet as DetResNet
    except ImportError:  # pragma: no cover
        DetResNet = ()
    if isinstance(backbone, (PretrainResNet, DetResNet)) and hasattr(backbone, 'res_layers'):
        return mmpretrain_resnet_units(backbone, backbone_path, prune_stream)
    raise TypeError(f'HRank has no prune-unit table for backbone {type(backbone).__name__} '
                    '(supported: CIFARResNet, CIFARVGG, CIFARDenseNet, CIFARGoogLeNet, '
                    'mmpretrain/mmdet ResNet)')
