"""Binarized DARTS candidate operations (BNAS, CP-NAS).

The DARTS operation space (Liu et al., arXiv 1806.09055) with binarized
convolutions, as BNAS (Chen et al., "Binarized Neural Architecture Search",
AAAI 2020, arXiv 1911.10862; IJCV extension arXiv 2009.04247) trains it. The
official BNAS code (github.com/bczhangbczhang/BNAS, ``models/darts_ops_x.py``)
replaces every conv of ``DilConv``, ``SepConv`` and the ``FactorizedReduce``
of ``skip_connect`` by its XNOR conv; pooling and ``none`` have no conv and
stay mmrazor's ``DartsPoolBN`` / ``DartsZero``.

Every op takes ``conv_cfg`` (mmcv ``build_conv_layer``; default
``dict(type='XNORConv2d')``, the official W1A32 conv) and ``norm_cfg``. With
``conv_cfg=dict(type='Conv2d')`` the ops compute what mmrazor's
``DartsDilConv`` / ``DartsSepConv`` / ``DartsSkipConnect`` compute, with the
same module names, so their state dicts load into each other.

The ops are registered in mmengine's root ``MODELS`` registry, so a config of
any scope (mmrazor's ``DiffMutableOP`` candidates included) finds them by name.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.registry import MODELS
from mmrazor.models.architectures.ops.base import BaseOP

import mmlean.binary  # noqa: F401  (registers XNORConv2d, the default conv_cfg)

DESIGNS = ('darts', 'cpnas')


def _check(op: str, stride: int, kernel_size: Optional[int] = None,
           design: Optional[str] = None) -> None:
    if stride not in (1, 2):
        raise ValueError(f'{op}: stride must be 1 or 2, got {stride!r}')
    if kernel_size is not None and (not isinstance(kernel_size, int) or kernel_size < 1
                                    or kernel_size % 2 == 0):
        raise ValueError(f'{op}: kernel_size must be an odd positive int, got {kernel_size!r}')
    if design is not None and design not in DESIGNS:
        raise ValueError(f'{op}: design must be one of {DESIGNS}, got {design!r}')


def binary_dil_block(in_channels: int, out_channels: int, kernel_size: int, stride: int,
                     dilation: int, design: str, conv_cfg: Dict, norm_cfg: Dict,
                     act_cfg: Dict) -> nn.Sequential:
    """One (dilated) depthwise-separable unit, binary convs built from ``conv_cfg``.

    * ``'darts'``: act -> dw ``k x k`` (dilated, ``groups=in_channels``) ->
      1x1 -> BN(out): the official BNAS ``DilConv`` (and DARTS's).
    * ``'cpnas'``: dw ``k x k`` -> BN(in) -> 1x1 -> BN(out), no activation:
      the binarized separable conv of CP-NAS (Zhuo et al., IJCAI 2020,
      arXiv 2005.00057), designed for 1-bit activations.

    Padding ``dilation * (k - 1) // 2`` keeps the map size at stride 1 and
    gives ``ceil(H / 2)`` at stride 2.
    """
    padding = dilation * (kernel_size - 1) // 2
    dw = build_conv_layer(conv_cfg, in_channels, in_channels, kernel_size, stride=stride,
                          padding=padding, dilation=dilation, groups=in_channels, bias=False)
    pw = build_conv_layer(conv_cfg, in_channels, out_channels, 1, stride=1, padding=0,
                          bias=False)
    if design == 'darts':
        layers = [build_activation_layer(act_cfg), dw, pw,
                  build_norm_layer(norm_cfg, out_channels)[1]]
    else:
        layers = [dw, build_norm_layer(norm_cfg, in_channels)[1], pw,
                  build_norm_layer(norm_cfg, out_channels)[1]]
    return nn.Sequential(*layers)


class _BinaryOP(BaseOP):
    """Common arguments of the binarized ops (drop path as mmrazor's DARTS ops)."""

    def __init__(self, conv_cfg: Dict = dict(type='XNORConv2d'),
                 norm_cfg: Dict = dict(type='BN'), act_cfg: Dict = dict(type='ReLU'),
                 use_drop_path: bool = False, drop_path_prob: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        # mmcv DropPath: identity in eval mode; its drop_prob is set each epoch by
        # mmlean.engine.DropPathScheduleHook (DARTS: 0.2 * epoch / epochs)
        self.drop_path = DropPath(drop_path_prob) if use_drop_path else None

    def _drop_path(self, out: torch.Tensor) -> torch.Tensor:
        return out if self.drop_path is None else self.drop_path(out)


@MODELS.register_module()
class BinaryDilConv(_BinaryOP):
    """Binarized dilated depthwise-separable conv (``dil_conv_k x k``).

    ``design='darts'`` is the official BNAS ``DilConv``
    (github.com/bczhangbczhang/BNAS, ``models/darts_ops_x.py``): ReLU ->
    binary depthwise ``k x k`` (dilation 2, stride on this conv) -> binary 1x1
    -> BN. ``design='cpnas'`` is CP-NAS's 1-bit design (arXiv 2005.00057):
    binary dw -> BN -> binary 1x1 -> BN, no ReLU. See :func:`binary_dil_block`.

    Args:
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``.
        kernel_size (int): depthwise kernel size (3 or 5 in DARTS).
        dilation (int): depthwise dilation. Defaults to 2.
        design (str): 'darts' or 'cpnas'. Defaults to 'darts'.
        conv_cfg (dict): the convs. Defaults to ``dict(type='XNORConv2d')``.
        norm_cfg (dict): Defaults to BN. act_cfg (dict): Defaults to ReLU.
        use_drop_path (bool): apply an mmcv ``DropPath`` to the output.
        drop_path_prob (float): its initial probability. Defaults to 0.
    """

    def __init__(self, kernel_size: int, dilation: int = 2, design: str = 'darts', **kwargs):
        super().__init__(**kwargs)
        _check(type(self).__name__, self.stride, kernel_size, design)
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.design = design
        self.conv1 = binary_dil_block(self.in_channels, self.out_channels, kernel_size,
                                      self.stride, dilation, design, self.conv_cfg,
                                      self.norm_cfg, self.act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._drop_path(self.conv1(x))


@MODELS.register_module()
class BinarySepConv(_BinaryOP):
    """Binarized depthwise-separable conv (``sep_conv_k x k``).

    As the official BNAS ``SepConv`` (``models/darts_ops_x.py``) and DARTS:
    two :class:`BinaryDilConv` units with dilation 1, the first with the
    stride (``in -> in``), the second at stride 1 (``in -> out``).
    ``design`` as :class:`BinaryDilConv`.

    Args:
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``.
        kernel_size (int): depthwise kernel size (3 or 5 in DARTS).
        design, conv_cfg, norm_cfg, act_cfg, use_drop_path, drop_path_prob:
            as :class:`BinaryDilConv`.
    """

    def __init__(self, kernel_size: int, design: str = 'darts', **kwargs):
        super().__init__(**kwargs)
        _check(type(self).__name__, self.stride, kernel_size, design)
        self.kernel_size = kernel_size
        self.design = design
        cfgs = (design, self.conv_cfg, self.norm_cfg, self.act_cfg)
        self.conv1 = binary_dil_block(self.in_channels, self.in_channels, kernel_size,
                                      self.stride, 1, *cfgs)
        self.conv2 = binary_dil_block(self.in_channels, self.out_channels, kernel_size, 1, 1,
                                      *cfgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._drop_path(self.conv2(self.conv1(x)))


@MODELS.register_module()
class BinarySkipConnect(_BinaryOP):
    """``skip_connect``: identity at stride 1, binarized FactorizedReduce at stride 2.

    At stride 2, as the official BNAS ``FactorizedReduce(skip=True)``
    (``models/darts_ops_x.py``): ReLU -> two binary 1x1 stride-2 convs, on
    ``x`` and on ``x[:, :, 1:, 1:]``, each to ``out_channels // 2`` ->
    concat -> BN. As in DARTS, the identity is never dropped (drop path
    applies at stride 2 only).

    Args:
        in_channels, out_channels, stride: as mmrazor's ``BaseOP``;
            ``out_channels`` must be even at stride 2 (and equal to
            ``in_channels`` at stride 1).
        conv_cfg, norm_cfg, act_cfg, use_drop_path, drop_path_prob: as
            :class:`BinaryDilConv`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        _check(name, self.stride)
        if self.stride == 1:
            if self.in_channels != self.out_channels:
                raise ValueError(f'{name}: the stride-1 identity needs in_channels == '
                                 f'out_channels, got {self.in_channels} and {self.out_channels}')
            self.drop_path = None
            return
        if self.out_channels % 2:
            raise ValueError(f'{name}: stride 2 concatenates two halves, so out_channels must '
                             f'be even, got {self.out_channels}')
        self.relu = build_activation_layer(self.act_cfg)
        self.conv1, self.conv2 = (
            build_conv_layer(self.conv_cfg, self.in_channels, self.out_channels // 2, 1,
                             stride=2, padding=0, bias=False) for _ in range(2))
        self.bn = build_norm_layer(self.norm_cfg, self.out_channels)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x
        x = self.relu(x)
        out = torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1)
        return self._drop_path(self.bn(out))
