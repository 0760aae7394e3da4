"""The AMSNet supernet of NAS-Count: searched encoder cells, searched decoder cells with
searched upsampling, and searched multi-path routes from the encoder scales."""
import copy
import math
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from mmrazor.models.architectures.backbones.darts_backbone import (FactorizedReduce, Node,
                                                                   StandardConv)

from .ops import Resample


class AMSCell(nn.Module):
    """A DARTS cell (Liu et al., ICLR 2019, Sec. 2.1) whose node aliases carry a prefix.

    Inputs ``c_{k-2}``, ``c_{k-1}`` (preprocessed by ReLU-Conv1x1-BN, or a
    factorized reduce after a reduction), ``num_nodes`` intermediate nodes
    whose input edges are mmrazor mutables (``{prefix}_n{d}_p{i}``) summed by a
    ``DiffChoiceRoute`` (``{prefix}_n{d}``: two inputs kept), output the
    concatenation of the nodes. Built from mmrazor's ``Node``; mmrazor's
    ``Cell`` fixes the prefixes to ``normal``/``reduce``, and the decoder
    cells need their own (one encoder and one decoder cell type, NAS-Count,
    arXiv 2003.00217, Sec. 3.1).
    """

    def __init__(self, prefix: str, num_nodes: int, channels: int, prev_channels: int,
                 prev_prev_channels: int, reduction: bool, prev_reduction: bool,
                 mutable_cfg: Dict, route_cfg: Dict, norm_cfg: Dict = dict(type='BN')):
        super().__init__()
        act = dict(type='ReLU')
        self.prefix, self.reduction, self.num_nodes = prefix, reduction, num_nodes
        if prev_reduction:
            self.preproc0 = FactorizedReduce(prev_prev_channels, channels, act, norm_cfg)
        else:
            self.preproc0 = StandardConv(prev_prev_channels, channels, 1, 1, 0, act, norm_cfg)
        self.preproc1 = StandardConv(prev_channels, channels, 1, 1, 0, act, norm_cfg)
        self.nodes = nn.ModuleList(
            Node(f'{prefix}_n{d}', d, channels, 2 if reduction else 0,
                 copy.deepcopy(mutable_cfg), copy.deepcopy(route_cfg))
            for d in range(2, num_nodes + 2))
        self.out_channels = num_nodes * channels

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preproc0(s0), self.preproc1(s1)]
        for node in self.nodes:
            states.append(node(states))
        return torch.cat(states[2:], dim=1)


@MODELS.register_module()
class AMSNetEncoder(BaseModule):
    """The searched encoder of AMSNet (NAS-Count, Hu et al., ECCV 2020, arXiv 2003.00217,
    Sec. 3.1, micro level: encoder cells).

    A stem (two ``3 x 3`` stride-2 convs: stride 4; our choice, the paper's
    stem is not verified) then DARTS-style cells, ``'normal'`` (stride 1) or
    ``'reduce'`` (stride 2, channels doubled), sharing one normal and one
    reduction cell type (aliases ``normal_*``, ``reduce_*``). Returns the last
    feature of every stride (4, 8, 16, ... as the layers give), finest first;
    ``out_channels``/``out_strides`` describe them.

    Args:
        in_channels (int): image channels. Defaults to 3.
        base_channels (int): node channels at stride 4.
        layers (Sequence[str]): cell kinds in order. Defaults to
            ``('normal', 'reduce', 'normal', 'reduce', 'normal')``: strides
            4, 8, 8, 16, 16.
        num_nodes (int): intermediate nodes per cell. Defaults to 3.
        mutable_cfg (dict): the edge mutable (``DiffMutableOP`` with the
            encoder candidates).
        route_cfg (dict): the node route (``DiffChoiceRoute``).
    """

    def __init__(self, mutable_cfg: Dict, route_cfg: Dict, in_channels: int = 3,
                 base_channels: int = 16,
                 layers: Sequence[str] = ('normal', 'reduce', 'normal', 'reduce', 'normal'),
                 num_nodes: int = 3, norm_cfg: Dict = dict(type='BN'), init_cfg=None):
        super().__init__(init_cfg)
        bad = [k for k in layers if k not in ('normal', 'reduce')]
        if bad or not layers:
            raise ValueError(f'AMSNetEncoder: layers must be "normal"/"reduce", got {layers}')
        c = base_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, 2, 1, bias=False), build_norm_layer(norm_cfg, c)[1],
            nn.ReLU(inplace=True), nn.Conv2d(c, c, 3, 2, 1, bias=False),
            build_norm_layer(norm_cfg, c)[1])
        self.cells = nn.ModuleList()
        prev_prev, prev, prev_red, stride = c, c, False, 4
        self.cell_strides = []
        for kind in layers:
            red = kind == 'reduce'
            if red:
                c *= 2
                stride *= 2
            cell = AMSCell(kind, num_nodes, c, prev, prev_prev, red, prev_red, mutable_cfg,
                           route_cfg, norm_cfg)
            self.cells.append(cell)
            self.cell_strides.append(stride)
            prev_prev, prev, prev_red = prev, cell.out_channels, red
        strides = [4] + self.cell_strides
        channels = [base_channels] + [cell.out_channels for cell in self.cells]
        self._taps = {s: i for i, s in enumerate(strides)}  # the last index of each stride
        self.out_strides = tuple(sorted(self._taps))
        self.out_channels = tuple(channels[self._taps[s]] for s in self.out_strides)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        s0 = s1 = self.stem(x)
        feats = [s1]
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
            feats.append(s1)
        return tuple(feats[self._taps[s]] for s in self.out_strides)


@MODELS.register_module()
class AMSNetDecoder(BaseModule):
    """The searched decoder and multi-path macro structure of AMSNet (NAS-Count, arXiv
    2003.00217, Sec. 3.1-3.2: decoder cells with upsampling / fusion ops; macro-level
    multi-path search over the encoder scales).

    From the coarsest encoder stride down to ``out_stride``, one decoder level
    per stride ``s``:

    * macro route ``macro_s{s}``: a ``DiffChoiceRoute`` whose edges bring every
      encoder scale ``t`` to stride ``s`` (:class:`Resample`: 1x1 conv, then
      average pooling or bilinear upsampling, Auto-DeepLab style); the search
      keeps ``num_paths`` of them;
    * a decoder cell (aliases ``decoder_*``, one shared type) on
      ``(c_{k-2}, c_{k-1}) = (the previous level upsampled, the route output)``
      (at the first level both inputs are the route output);
    * between levels, a searched upsampling op ``decoder_up`` (a
      ``DiffMutableOP`` over ``up_candidates``: transposed convs,
      interpolation + conv).

    The exact NAS-Count decoder (cell count, op list, how paths are routed)
    is not verified; this is our reading of the abstract's two-level space.
    Inputs must be padded to a multiple of the coarsest stride.

    Args:
        in_channels (Sequence[int]): encoder channels, finest first.
        in_strides (Sequence[int]): their strides.
        mutable_cfg (dict): decoder cell edges (``DiffMutableOP``).
        route_cfg (dict): decoder cell node routes.
        up_cfg (dict): the upsampling mutable (``DiffMutableOP``, candidates
            taking ``in_channels``/``out_channels``/``stride``).
        channels (int): decoder node channels. Defaults to 16.
        num_nodes (int): nodes per decoder cell. Defaults to 3.
        out_stride (int): Defaults to 8.
        num_paths (int): macro paths kept per level. Defaults to 2.
    """

    def __init__(self, in_channels: Sequence[int], in_strides: Sequence[int],
                 mutable_cfg: Dict, route_cfg: Dict, up_cfg: Dict, channels: int = 16,
                 num_nodes: int = 3, out_stride: int = 8, num_paths: int = 2,
                 macro_with_arch_param: bool = True, norm_cfg: Dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg)
        from mmrazor.models.mutables import DiffChoiceRoute
        if len(in_channels) != len(in_strides):
            raise ValueError('AMSNetDecoder: in_channels and in_strides differ in length')
        if out_stride not in in_strides or out_stride > max(in_strides):
            raise ValueError(f'AMSNetDecoder: out_stride {out_stride} must be one of the '
                             f'encoder strides {tuple(in_strides)}')
        self.in_strides = tuple(in_strides)
        self.level_strides = [s for s in sorted(in_strides, reverse=True) if s >= out_stride]
        fused = channels * num_nodes  # width of a macro route output
        self.routes = nn.ModuleList()
        self.cells = nn.ModuleList()
        self.ups = nn.ModuleList()
        prev = None
        for k, s in enumerate(self.level_strides):
            edges = nn.ModuleDict({
                f'e{t}': Resample(c, fused, int(math.log2(t / s)), norm_cfg)
                for c, t in zip(in_channels, in_strides)
            })
            self.routes.append(
                DiffChoiceRoute(edges, num_chosen=min(num_paths, len(edges)),
                                with_arch_param=macro_with_arch_param, alias=f'macro_s{s}'))
            cell = AMSCell('decoder', num_nodes, channels, fused, fused if prev is None else prev,
                           False, False, mutable_cfg, route_cfg, norm_cfg)
            self.cells.append(cell)
            if k + 1 < len(self.level_strides):
                up = copy.deepcopy(up_cfg)
                up.update(module_kwargs=dict(in_channels=cell.out_channels,
                                             out_channels=cell.out_channels, stride=1),
                          alias='decoder_up')
                self.ups.append(MODELS.build(up))
            prev = cell.out_channels
        self.out_channels = prev

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        feats = list(feats)
        x = None
        for k, (route, cell) in enumerate(zip(self.routes, self.cells)):
            fused = route(feats)
            x = cell(fused, fused) if x is None else cell(self.ups[k - 1](x), fused)
        return x


def searched_cells(fix_subnet: Dict, prefix: str) -> List[Tuple[str, int]]:
    """The ``[(op, input), ...]`` edges (two per node) of cell type ``prefix`` in a
    fix_subnet dict (``{alias: {'chosen': ...}}``), in DARTS genotype order."""
    def chosen(key):
        value = fix_subnet[key]
        value = value['chosen'] if isinstance(value, dict) else getattr(value, 'chosen', value)
        return value if isinstance(value, (list, tuple)) else [value]

    edges = []
    d = 2
    while f'{prefix}_n{d}' in fix_subnet:
        for edge in sorted(chosen(f'{prefix}_n{d}')):
            op = chosen(edge)[0]
            edges.append((op, int(edge.rsplit('_p', 1)[1])))
        d += 1
    return edges
