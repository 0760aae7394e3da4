"""The DARTS network of BNAS: binary cell preprocessing, full-precision stem and heads."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmrazor.models.architectures.backbones.darts_backbone import (DartsBackbone, FactorizedReduce,
                                                                   StandardConv)
from mmrazor.registry import MODELS

import mmlean.binary  # noqa: F401  (registers XNORConv2d, the default conv_cfg)

STEM_TYPES = ('cifar', 'imagenet')


@MODELS.register_module()
class BinaryDartsBackbone(DartsBackbone):
    """mmrazor's ``DartsBackbone`` with the binarization of the BNAS network.

    As the official BNAS evaluation network (github.com/bczhangbczhang/BNAS,
    ``models/darts_cell_x.py``, ``models/darts_cnn_x.py``; BNAS, AAAI 2020,
    arXiv 1911.10862): the ReLU-Conv1x1-BN preprocessing of the cell inputs
    uses a binary conv (built from ``conv_cfg``); kept full precision are the
    stem, the ``FactorizedReduce`` that preprocesses ``c_{k-2}`` after a
    reduction cell, and the auxiliary head (the classifier is the head's).
    The candidate ops binarize themselves (``mmlean.nas.ops``).

    Also, compared with mmrazor's ``DartsBackbone``, as DARTS
    (Liu et al., arXiv 1806.09055; official ``cnn/model.py``) and BNAS:

    * the stem BN is affine even when ``norm_cfg`` is not (mmrazor builds an
      affine ``stem_norm_cfg`` and then does not use it);
    * the CIFAR auxiliary head pools with ``AvgPool2d(5, stride=3)`` (mmrazor
      uses stride 2);
    * ``stem_type='imagenet'``: DARTS's ``NetworkImageNet`` (mobile setting):
      ``stem0`` = conv3x3/2 (C/2) -> BN -> ReLU -> conv3x3/2 (C) -> BN,
      ``stem1`` = ReLU -> conv3x3/2 -> BN, both feeding the first cell
      (whose ``c_{k-2}`` input is factorized-reduced), and the ImageNet
      auxiliary head (``AvgPool2d(5, stride=2)``, no BN after its 2x2 conv, as
      DARTS's ``AuxiliaryHeadImageNet``); ``stem_multiplier`` must then be 1;
    * ``mutable_cfg``/``route_cfg`` are deep-copied, so the config dicts
      are not filled with built modules.

    Args:
        conv_cfg (dict): the preprocessing convs. Defaults to
            ``dict(type='XNORConv2d')`` (BNAS W1A32); ``dict(type='Conv2d')``
            gives DARTS's full-precision network.
        stem_type (str): 'cifar' (3x3 conv to ``stem_multiplier * C``) or
            'imagenet'. Defaults to 'cifar'.
        stem_multiplier (int, optional): Defaults to 3 ('cifar') / 1
            ('imagenet').
        Others: as mmrazor's ``DartsBackbone`` (``auxliary`` spelled as there).
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int,
                 mutable_cfg: Dict,
                 route_cfg: Dict,
                 num_layers: int = 8,
                 num_nodes: int = 4,
                 stem_multiplier: Optional[int] = None,
                 out_indices: Union[Tuple, List] = (7, ),
                 auxliary: bool = False,
                 aux_channels: Optional[int] = None,
                 aux_out_channels: Optional[int] = None,
                 act_cfg: Dict = dict(type='ReLU'),
                 norm_cfg: Dict = dict(type='BN'),
                 conv_cfg: Dict = dict(type='XNORConv2d'),
                 stem_type: str = 'cifar') -> None:
        name = type(self).__name__
        if stem_type not in STEM_TYPES:
            raise ValueError(f'{name}: stem_type must be one of {STEM_TYPES}, got {stem_type!r}')
        if stem_multiplier is None:
            stem_multiplier = 3 if stem_type == 'cifar' else 1
        if stem_type == 'imagenet' and stem_multiplier != 1:
            raise ValueError(f'{name}: the ImageNet stem outputs base_channels, so '
                             f'stem_multiplier must be 1 (or None), got {stem_multiplier}')
        if tuple(out_indices)[-1] != num_layers - 1:
            raise ValueError(f'{name}: out_indices must end with the last cell '
                             f'({num_layers - 1}), got {tuple(out_indices)}')
        if auxliary and (aux_channels is None or aux_out_channels is None):
            raise ValueError(f'{name}: auxliary=True needs aux_channels and aux_out_channels')
        super().__init__(in_channels, base_channels, copy.deepcopy(mutable_cfg),
                         copy.deepcopy(route_cfg), num_layers, num_nodes, stem_multiplier,
                         out_indices, auxliary, aux_channels, aux_out_channels, act_cfg,
                         norm_cfg)
        self.conv_cfg = conv_cfg
        self.stem_type = stem_type
        stem_norm_cfg = dict(copy.deepcopy(norm_cfg), affine=True)
        if stem_type == 'cifar':
            self.stem[1] = build_norm_layer(stem_norm_cfg, self.stem[0].out_channels)[1]
        else:
            self._build_imagenet_stem(in_channels, base_channels, stem_norm_cfg)
        self._binarize_preprocessing()
        if auxliary:
            self._fix_auxiliary_head()

    def _build_imagenet_stem(self, in_channels: int, channels: int, norm_cfg: Dict) -> None:
        del self.stem

        def conv_bn(cin, cout):
            return [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                    build_norm_layer(norm_cfg, cout)[1]]

        self.stem0 = nn.Sequential(*conv_bn(in_channels, channels // 2), nn.ReLU(inplace=True),
                                   *conv_bn(channels // 2, channels))
        self.stem1 = nn.Sequential(nn.ReLU(inplace=True), *conv_bn(channels, channels))
        # stem0 runs at twice stem1's resolution: the first cell reduces c_{k-2}
        self.cells[0].preproc0 = FactorizedReduce(channels, channels, self.act_cfg,
                                                  self.norm_cfg)

    def _binarize_preprocessing(self) -> None:
        for cell in self.cells:
            for name in ('preproc0', 'preproc1'):
                module = getattr(cell, name)
                if not isinstance(module, StandardConv):
                    continue  # FactorizedReduce after a reduction cell: full precision
                fp = module.net[1]
                module.net[1] = build_conv_layer(self.conv_cfg, fp.in_channels, fp.out_channels,
                                                 fp.kernel_size, stride=fp.stride,
                                                 padding=fp.padding, bias=False)

    def _fix_auxiliary_head(self) -> None:
        net = self.auxliary_module.net
        stride = 3 if self.stem_type == 'cifar' else 2
        net[1] = nn.AvgPool2d(5, stride=stride, padding=0, count_include_pad=False)
        if self.stem_type == 'imagenet':
            net[6] = nn.Identity()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The ``out_indices`` cell outputs; in training, the auxiliary feature first."""
        if self.stem_type == 'imagenet':
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        outs = []
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i in self.out_indices:
                outs.append(s1)
            if i == self.auxliary_indice and self.training:
                outs.insert(0, self.auxliary_module(s1))
        return tuple(outs)
