"""The single-input cell network of ABanditNAS (search supernet and evaluation network)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmrazor.models.architectures.backbones.darts_backbone import AuxiliaryModule, Node
from mmrazor.registry import MODELS

from .robust_ops import DenoisingBlock

CELL_NAMES = 'abcdefghijklmnopqrstuvwxyz'


def cell_type_indices(num_layers: int, num_types: int) -> List[int]:
    """Which of the ``num_types`` searched cells each of ``num_layers`` positions uses.

    As the official ``NetworkCIFAR`` (github.com/bczhangbczhang/ABanditNAS,
    ``models/darts_cnn_bandit_all.py``): with as many positions as cell types,
    position ``i`` uses cell ``i``; otherwise each cell repeats
    ``r = (L - 2) // (T - 2)`` times, offset by one after each of the two
    reductions (``L = 10, T = 6``: ``a a b b c d d e f f``).
    """
    if num_layers == num_types:
        return list(range(num_layers))
    if num_types < 3 or num_layers < num_types:
        raise ValueError(f'cannot map {num_types} cell types onto {num_layers} cells '
                         '(need 3 <= types <= cells)')
    repeat = (num_layers - 2) // (num_types - 2)
    out = []
    for i in range(num_layers):
        offset = 0 if i <= num_layers // 3 + 1 else 1 if i <= 2 * num_layers // 3 + 1 else 2
        out.append(min((i + offset) // repeat, num_types - 1))
    return out


class SingleInputCell(nn.Module):
    """An ABanditNAS cell (ECCV 2020, arXiv 2008.00698, Sec. 3.2, Fig. 2a).

    One input ``B0`` (the previous cell's output after ReLU-Conv1x1-BN), ``M``
    intermediate nodes ``B_j = sum_{i<j} o_(i,j)(B_i)`` (each node an mmrazor
    ``Node``: its edges are mutables, its inputs a ``DiffChoiceRoute``; a fixed
    sub-network keeps one input edge per node), output the concatenation of
    ``B_1..B_M``. In a reduction cell the edges from ``B0`` have stride 2.
    An optional dot-product denoising block follows the concatenation (the
    official "manual" blocks).
    """

    def __init__(self, cell_type: str, in_channels: int, channels: int, reduction: bool,
                 num_nodes: int, mutable_cfg: Dict, route_cfg: Dict, norm_cfg: Dict,
                 denoise: bool = False):
        super().__init__()
        self.reduction = reduction
        self.preprocess = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(in_channels, channels, 1, bias=False),
            build_norm_layer(norm_cfg, channels)[1])
        self.nodes = nn.ModuleList()
        for j in range(1, num_nodes + 1):
            self.nodes.append(Node(f'{cell_type}_n{j}', j, channels, 1 if reduction else 0,
                                   copy.deepcopy(mutable_cfg), copy.deepcopy(route_cfg)))
        self.out_channels = num_nodes * channels
        self.denoise = (DenoisingBlock(filter_type='dotp', norm_cfg=norm_cfg,
                                       in_channels=self.out_channels,
                                       out_channels=self.out_channels) if denoise else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess(x)]
        for node in self.nodes:
            states.append(node(states))
        out = torch.cat(states[1:], dim=1)
        return self.denoise(out) if self.denoise is not None else out


@MODELS.register_module()
class ABanditBackbone(nn.Module):
    """The ABanditNAS network: stem, cells of ``num_cell_types`` searched kinds, aux feature.

    As the official evaluation network (``NetworkCIFAR``, ``models/darts_cnn_bandit_all.py``):
    the input is normalized inside the model (``mean``/``std`` in [0, 1] pixel units,
    so attacks and their epsilon live in pixel space), a 3x3 conv stem to
    ``stem_multiplier * C`` channels + BN, then ``num_layers`` single-input cells
    (:class:`SingleInputCell`; channels doubled and stride 2 at cells ``L//3`` and
    ``2L//3``), the cell kinds mapped by :func:`cell_type_indices`; with
    ``manual_denoise`` a dot-product denoising block after cells ``L//4, 2L//4, 3L//4``
    (used for ``ABANDIT_CIFAR_1``); the auxiliary feature at cell ``2L//3``.

    The search supernet is the same network with one cell per kind (``num_layers =
    num_cell_types``) and reducible mutables (``mutable_cfg``); the aliases are
    ``<kind>_n<j>_p<i>`` (op on the edge ``B_i -> B_j`` of kind ``a``, ``b``, ...) and
    ``<kind>_n<j>`` (the node's input route), shared by all cells of a kind.

    Args:
        in_channels (int): image channels.
        base_channels (int): ``C`` (48 for ABanditNAS-10 on CIFAR-10).
        mutable_cfg (dict): the edges' mutable (candidates as mmrazor op configs).
        route_cfg (dict): the nodes' ``DiffChoiceRoute`` (``with_arch_param=False``).
        num_layers (int): cells. Defaults to 6.
        num_cell_types (int): searched kinds. Defaults to 6.
        num_nodes (int): intermediate nodes per cell. Defaults to 4.
        stem_multiplier (int): Defaults to 3.
        manual_denoise (bool): Defaults to False.
        auxliary (bool): output the auxiliary feature first in training (spelled as
            mmrazor's ``DartsBackbone``). Defaults to False.
        aux_channels, aux_out_channels (int): auxiliary module widths (128, 768).
        mean, std (sequence of float, optional): input normalization in [0, 1] units.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
    """

    def __init__(self, in_channels: int, base_channels: int, mutable_cfg: Dict, route_cfg: Dict,
                 num_layers: int = 6, num_cell_types: int = 6, num_nodes: int = 4,
                 stem_multiplier: int = 3, manual_denoise: bool = False, auxliary: bool = False,
                 aux_channels: int = 128, aux_out_channels: int = 768,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 norm_cfg: Dict = dict(type='BN')):
        super().__init__()
        name = type(self).__name__
        if not 1 <= num_cell_types <= len(CELL_NAMES):
            raise ValueError(f'{name}: num_cell_types must be in 1..{len(CELL_NAMES)}, '
                             f'got {num_cell_types}')
        if num_nodes < 1:
            raise ValueError(f'{name}: num_nodes must be >= 1, got {num_nodes}')
        if (mean is None) != (std is None):
            raise ValueError(f'{name}: give both mean and std, or neither')
        if mean is not None:
            if len(mean) != in_channels or len(std) != in_channels:
                raise ValueError(f'{name}: mean/std need {in_channels} values, got '
                                 f'{len(mean)}/{len(std)}')
            self.register_buffer('mean', torch.tensor(mean, dtype=torch.float).view(1, -1, 1, 1))
            self.register_buffer('std', torch.tensor(std, dtype=torch.float).view(1, -1, 1, 1))
        else:
            self.mean = self.std = None
        self.cell_types = [CELL_NAMES[k] for k in cell_type_indices(num_layers, num_cell_types)]
        self.num_layers = num_layers
        channels = stem_multiplier * base_channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
                                  build_norm_layer(dict(norm_cfg, affine=True), channels)[1])
        reductions = (num_layers // 3, 2 * num_layers // 3)
        denoised = ((num_layers // 4, 2 * num_layers // 4, 3 * num_layers // 4)
                    if manual_denoise else ())
        self.aux_index = 2 * num_layers // 3 if auxliary else -1
        self.cells = nn.ModuleList()
        prev, current = channels, base_channels
        for i, kind in enumerate(self.cell_types):
            reduction = i in reductions
            if reduction:
                current *= 2
            cell = SingleInputCell(kind, prev, current, reduction, num_nodes, mutable_cfg,
                                   route_cfg, norm_cfg, denoise=i in denoised)
            self.cells.append(cell)
            prev = cell.out_channels
            if i == self.aux_index:
                self.auxliary_module = AuxiliaryModule(prev, aux_channels, aux_out_channels,
                                                       dict(norm_cfg, affine=True))
                # as DARTS's / ABanditNAS's AuxiliaryHeadCIFAR: 8x8 -> 2x2
                self.auxliary_module.net[1] = nn.AvgPool2d(5, stride=3, padding=0,
                                                           count_include_pad=False)
        self.out_channels = prev

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``(last cell output, )``; in training with ``auxliary``, the aux feature first."""
        if self.mean is not None:
            x = (x - self.mean) / self.std
        x = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            x = cell(x)
            if i == self.aux_index and self.training:
                aux = self.auxliary_module(x)
        return (x, ) if aux is None else (aux, x)
