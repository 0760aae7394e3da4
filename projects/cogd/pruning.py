"""Channel pruning with learnable soft masks (GAL-style), trained with CoGD.

The pruning application of CoGD (Zhuo et al., CVPR 2020, arXiv 2006.09142,
§4; its code was never released): every prunable conv's output channels get a
learnable mask ``m``, ``y = (W * x) ⊙ m`` (GAL, Lin et al. CVPR 2019), trained
with an l1 penalty on ``m``. With the conv's BatchNorm and ReLU in between,
the mask multiplies the channel where the next conv reads it,
``relu(BN(W * x)) ⊙ m``: for ``m >= 0`` this equals masking the BN output, but
a mask at exactly 0 still gets the gradient ``sum relu(BN(W * x)) dL/dy``
(after the ReLU's zero derivative it would get none, and could never come
back). The
product of (W, BN affine) and ``m`` is the bilinear pair: ``m`` is the sparse
factor x, the conv filters and BN affine the coupled A, whose entries of a
channel with ``m_c = 0`` get no gradient. :class:`SoftMaskPruning` adds the
masks; the pairs are formed by the optimizer's constructor
(:class:`~mmlean.engine.optimizers.CoGDOptimWrapperConstructor`, name
patterns in the config), so the same model trains with CoGD or plain SGD.

Which convs: the block-internal ones whose output channels belong to that conv
alone (a CIFAR ResNet block's conv1, a Bottleneck's conv1 and conv2), found
with the HRank prune-unit tables and torch-pruning's dependency graph
(``mmlean.projects.hrank``); residual streams keep all their channels.
Export folds the masks into the next conv's input weights and removes the
dropped channels physically through HRank's torch-pruning path, so the pruned model computes
exactly what the masked one does with the dropped masks set to 0.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.registry import MODELS

from mmlean.projects.hrank.pruning import (ChannelGroup, build_graph, kept_channels, plan_groups,
                                           prune_physically)
from mmlean.projects.hrank.units import prune_units
from mmlean.utils.algorithm import classifier_defaults

MASK = 'soft_mask'


def _forward_tensor(model, x):
    return model(x, mode='tensor')


class _InputMask:
    """Forward pre-hook of the conv that reads masked channels: multiplies
    its input by the mask, which lives on the producing conv's BN (so that
    name patterns can pair it with that conv)."""

    def __init__(self, owner: nn.Module):
        self.owner = owner

    def __call__(self, module, inputs):
        x = inputs[0]
        mask = getattr(self.owner, MASK)
        return (x * mask.view(1, -1, *([1] * (x.dim() - 2))), ) + tuple(inputs[1:])


def _consumer(graph, conv: nn.Module, model: nn.Module) -> str:
    """The one conv that reads ``conv``'s output channels."""
    import torch_pruning as tp
    group = graph.get_pruning_group(conv, tp.prune_conv_out_channels, idxs=[0])
    names = []
    for item in group:
        module = getattr(item.dep.target, 'module', None)
        handler = getattr(item.dep.handler, '__name__', '')
        if handler == 'prune_in_channels' and isinstance(module, nn.Conv2d):
            name = graph._module2name.get(module)
            if name is not None and name not in names:
                names.append(name)
    return names[0] if len(names) == 1 else ''


def _bn_of(model: nn.Module, group: ChannelGroup) -> str:
    for name in group.out_modules:
        if isinstance(model.get_submodule(name), nn.modules.batchnorm._BatchNorm):
            return name
    raise ValueError(f'{group.convs[0]} has no BatchNorm on its output channels: a soft mask '
                     'needs one (GAL puts the mask after the BN)')


@MODELS.register_module()
class SoftMaskPruning(BaseAlgorithm):
    """Soft-mask channel pruning (GAL-style masks, ``y = (W * x) ⊙ m``)
    for CoGD (Zhuo et al., CVPR 2020, §4, network pruning).

    Each masked conv's BN gets a parameter ``<bn>.soft_mask`` (initialised
    to ``mask_init``); a forward pre-hook on the conv that reads those
    channels multiplies its input by it (see the module doc). Train
    with :class:`~mmlean.engine.optimizers.CoGD` (pairs ``(<conv>.weight,
    <bn>.weight, <bn>.bias; <bn>.soft_mask)`` from the config's name
    patterns, the l1 step on the mask proximal) or with plain SGD
    (``l1_loss`` adds ``l1_loss * sum |m|`` to the loss instead). Then
    :meth:`export` keeps, per masked conv, the channels with the largest
    ``|m|`` (``int(rate * C)`` dropped, masks at 0 first; ties broken by the
    filters' l1 norm, then index, as HRank), folds the masks into the next
    conv's input weights and prunes physically. Equal rates give equal FLOPs for any training.

    Args:
        architecture (dict | BaseModel): the classifier (mmpretrain scope by
            default).
        prune_rate (float | dict | list): fraction of each masked conv's
            channels removed at export; dict {conv: rate} or one per masked
            conv in network order.
        mask_init (float): initial mask value. Defaults to 1.
        l1_loss (float): l1 penalty added to the loss (0 when CoGD's proximal
            step applies it). Defaults to 0.
        input_shape (tuple): (C, H, W) for tracing and FLOPs.
        backbone_path (str): where the backbone lives.
        freeze_bn_stats (bool): keep every BatchNorm on its running statistics
            while training (affine parameters still learn). In training mode a
            BN after the masked channels makes the network blind to a common
            scale of one conv's masks, so the l1 penalty shrinks them all
            together at no cost until the whole layer dies at once; with
            frozen statistics the task loss resists and the masked network is
            the one that gets deployed. An implementation choice (the paper's
            pruning details could not be checked). Defaults to True.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 prune_rate: Union[float, Sequence[float], Dict[str, float]] = 0.5,
                 mask_init: float = 1.0, l1_loss: float = 0.0,
                 input_shape: Tuple[int, int, int] = (3, 32, 32),
                 backbone_path: str = 'backbone', freeze_bn_stats: bool = True,
                 data_preprocessor=None, init_cfg=None):
        architecture, data_preprocessor = classifier_defaults(architecture, data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.input_shape = tuple(input_shape)
        self.l1_loss = l1_loss
        self.freeze_bn_stats = freeze_bn_stats
        units = [u for u in prune_units(self.architecture, backbone_path, prune_stream=False)
                 if u.prunable and not u.stream]
        example = torch.zeros(1, *self.input_shape)
        groups = plan_groups(self.architecture, units, {u.conv: 0.0 for u in units}, example,
                             _forward_tensor)
        # only channels owned by one conv (not a residual stream) and read by one conv
        graph = build_graph(self.architecture, example, _forward_tensor)
        self.groups: List[ChannelGroup] = []
        self.consumers: List[str] = []
        for g in groups:
            owned = len(g.units) == 1 and sum(
                isinstance(self.architecture.get_submodule(n), nn.Conv2d)
                for n in g.out_modules) == 1
            reader = _consumer(graph, self.architecture.get_submodule(g.convs[0]),
                               self.architecture) if owned else ''
            if reader:
                self.groups.append(g)
                self.consumers.append(reader)
        if not self.groups:
            raise ValueError('SoftMaskPruning found no conv whose output channels it can mask')
        rates = self._rates(prune_rate)
        for g in self.groups:
            g.rate = rates[g.convs[0]]
        self.bn_names = [_bn_of(self.architecture, g) for g in self.groups]
        for name, reader, g in zip(self.bn_names, self.consumers, self.groups):
            bn = self.architecture.get_submodule(name)
            bn.register_parameter(MASK, nn.Parameter(torch.full((g.channels, ), float(mask_init))))
            self.architecture.get_submodule(reader).register_forward_pre_hook(_InputMask(bn))

    def _rates(self, spec) -> Dict[str, float]:
        convs = [g.convs[0] for g in self.groups]
        if isinstance(spec, (int, float)):
            return {c: float(spec) for c in convs}
        if isinstance(spec, dict):
            unknown = sorted(set(spec) - set(convs))
            if unknown:
                raise ValueError(f'prune_rate names {unknown[:3]}, not masked convs; masked: '
                                 f'{convs[:3]}...')
            return {c: float(spec.get(c, 0.0)) for c in convs}
        spec = list(spec)
        if len(spec) != len(convs):
            raise ValueError(f'prune_rate gives {len(spec)} rates for {len(convs)} masked convs')
        return dict(zip(convs, map(float, spec)))

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.freeze_bn_stats:
            for m in self.architecture.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    # -- masks ---------------------------------------------------------------------
    def masks(self) -> Dict[str, torch.Tensor]:
        """{masked conv: its mask}."""
        return {g.convs[0]: getattr(self.architecture.get_submodule(bn), MASK)
                for g, bn in zip(self.groups, self.bn_names)}

    def mask_l1(self) -> torch.Tensor:
        return sum(m.abs().sum() for m in self.masks().values())

    def zero_channels(self) -> Tuple[int, int]:
        """(channels with m = 0, masked channels)."""
        ms = list(self.masks().values())
        return int(sum(int((m == 0).sum()) for m in ms)), int(sum(m.numel() for m in ms))

    def loss(self, batch_inputs, data_samples=None):
        losses = self.architecture(batch_inputs, data_samples, mode='loss')
        if self.l1_loss:
            losses['loss_mask_l1'] = self.l1_loss * self.mask_l1()
        return losses

    # -- export --------------------------------------------------------------------
    @torch.no_grad()
    def select(self, kept: Optional[Dict[str, List[int]]] = None) -> List[ChannelGroup]:
        """The groups with ``kept`` filled from the masks (see the class doc),
        or from ``kept`` ({masked conv: kept indices}) where it names the conv."""
        out = []
        for g in self.groups:
            if kept is not None and g.convs[0] in kept:
                idx = sorted(int(i) for i in kept[g.convs[0]])
            else:
                m = self.masks()[g.convs[0]].detach().abs().double()
                conv = self.architecture.get_submodule(g.convs[0])
                l1 = conv.weight.detach().abs().flatten(1).sum(1).double()
                idx = kept_channels(m, l1, g.rate)
            out.append(ChannelGroup(g.units, g.rate, g.out_modules, g.channels, kept=idx))
        return out

    @torch.no_grad()
    def masked_copy(self, drop: bool = True,
                    kept: Optional[Dict[str, List[int]]] = None) -> nn.Module:
        """The architecture without masks: each mask folded into the input
        weights of the conv that reads the channels (``W'[:, c] = m_c W[:, c]``),
        the channels :meth:`select` drops set to exactly 0 when ``drop``."""
        arch = copy.deepcopy(self.architecture)
        groups = self.select(kept)
        for name, reader, g in zip(self.bn_names, self.consumers, groups):
            bn = arch.get_submodule(name)
            m = getattr(bn, MASK).detach().clone()
            if drop:
                keep = torch.zeros_like(m, dtype=torch.bool)
                keep[g.kept] = True
                m[~keep] = 0
            conv = arch.get_submodule(reader)
            conv.weight.mul_(m.view(1, -1, *([1] * (conv.weight.dim() - 2))))
            del bn._parameters[MASK]
            for key, hook in list(conv._forward_pre_hooks.items()):
                if isinstance(hook, _InputMask):
                    del conv._forward_pre_hooks[key]
        return arch

    def export(self, kept: Optional[Dict[str, List[int]]] = None) -> nn.Module:
        """The physically pruned model (no masks), equal in output to
        :meth:`masked_copy`."""
        arch = self.masked_copy(drop=True, kept=kept)
        example = torch.zeros(1, *self.input_shape, device=next(arch.parameters()).device)
        return prune_physically(arch, self.select(kept), example, _forward_tensor, inplace=True)


__all__ = ['SoftMaskPruning']
