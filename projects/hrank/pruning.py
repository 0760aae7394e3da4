"""Rank-based channel selection, masks, and physical pruning (torch-pruning).

Why torch-pruning: its DependencyGraph finds every tensor coupled to a
conv's output channels (the BN, the next convs' inputs, residual additions,
concatenations, the classifier's input) for any traceable model, and slices
them physically. mmrazor's ChannelMutator does the same through its tracer,
but its FX/backward tracers are the part users report failing on detectors
(mmrazor #431, #554, #585) and it would need a custom unit type per
importance; with torch-pruning the HRank-specific part is only the channel
choice. Its known blind spot, zero-padding (option A) shortcuts, is avoided
by never pruning those streams (see units.py).
"""
import copy
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from .units import PruneUnit


def kept_channels(rank: torch.Tensor, l1: torch.Tensor, rate: float) -> List[int]:
    """Indices kept by HRank: drop ``int(rate * C)`` lowest-rank channels.

    Ranks are small integers with many ties, so the order is made stable and
    documented: higher mean rank first, then larger L1 norm of the filter,
    then lower index. Returns the kept indices in increasing order.
    """
    num = rank.numel()
    pruned = int(rate * num)  # the official int(cp_rate * F)
    order = sorted(range(num), key=lambda c: (-float(rank[c]), -float(l1[c]), c))
    return sorted(order[:num - pruned])


@dataclass
class ChannelGroup:
    """Output channels pruned together: one conv, or a residual stream."""
    units: List[PruneUnit]
    rate: float
    out_modules: List[str]   # every module whose output channels this prunes
    channels: int
    kept: Optional[List[int]] = None
    # {module: its channel indices of the pruned channels}, for masking (a BN
    # after a concatenation sees the channels at an offset)
    targets: Optional[Dict[str, List[int]]] = None

    @property
    def convs(self) -> List[str]:
        return [u.conv for u in self.units]


def _torch_pruning():
    try:
        import torch_pruning as tp
    except ImportError as err:  # pragma: no cover
        raise ImportError('HRank physical pruning needs torch-pruning '
                          '(pip install torch-pruning)') from err
    return tp


def build_graph(model: nn.Module, example_inputs, forward_fn: Optional[Callable] = None):
    tp = _torch_pruning()
    was_training = model.training
    # the graph is traced through autograd (and torch-pruning calls eval()):
    # frozen parameters must take part in the trace too, so OpenMMLab
    # backbones' frozen_stages (re-applied by their train()/eval()) are lifted
    frozen = [p for p in model.parameters() if not p.requires_grad]
    stages = {m: m.frozen_stages for m in model.modules() if hasattr(m, 'frozen_stages')}
    try:
        for m in stages:
            m.frozen_stages = -1
        for p in frozen:
            p.requires_grad_(True)
        model.eval()
        with torch.enable_grad():
            return tp.DependencyGraph().build_dependency(
                model, example_inputs=example_inputs, forward_fn=forward_fn, verbose=False)
    finally:
        for m, value in stages.items():
            m.frozen_stages = value
        for p in frozen:
            p.requires_grad_(False)
        model.train(was_training)


def _targets(graph, group) -> Dict[str, List[int]]:
    targets = {}
    for item in group:
        module = getattr(item.dep.target, 'module', None)
        name = graph._module2name.get(module)
        if name is None:
            continue
        is_bn = isinstance(module, nn.modules.batchnorm._BatchNorm)
        handler = getattr(item.dep.handler, '__name__', '')
        if is_bn or (handler == 'prune_out_channels' and
                     isinstance(module, (nn.Conv2d, nn.Linear))):
            targets.setdefault(name, sorted(int(i) for i in item.idxs))
    return targets


def resolve_targets(model: nn.Module, groups: Sequence[ChannelGroup], example_inputs,
                    forward_fn=None) -> None:
    """Fill ``group.targets``: the exact parameter slices of the pruned channels."""
    tp = _torch_pruning()
    graph = build_graph(model, example_inputs, forward_fn)
    for g in groups:
        drop = sorted(set(range(g.channels)) - set(g.kept))
        if not drop:
            g.targets = {}
            continue
        conv = model.get_submodule(g.convs[0])
        g.targets = _targets(graph, graph.get_pruning_group(
            conv, tp.prune_conv_out_channels, idxs=drop))


def _out_modules(graph, group) -> List[str]:
    """Modules whose parameters produce the group's channels: the convs /
    linears pruned on their output side, and every BatchNorm on those channels
    (a BN after a concatenation is reached as an 'input' of the BN, but it is
    channel-wise, so zeroing it silences the channel as well)."""
    names = []
    for item in group:
        dep = item.dep
        module = getattr(dep.target, 'module', None)
        name = graph._module2name.get(module)
        handler = getattr(dep.handler, '__name__', '')
        is_bn = isinstance(module, nn.modules.batchnorm._BatchNorm)
        if name is None or not (is_bn or isinstance(module, (nn.Conv2d, nn.Linear))):
            continue
        if (is_bn or handler == 'prune_out_channels') and name not in names:
            names.append(name)
    return names


def plan_groups(model: nn.Module, units: Sequence[PruneUnit], rates: Dict[str, float],
                example_inputs, forward_fn=None) -> List[ChannelGroup]:
    """Group the prunable units by coupled output channels (torch-pruning).

    A unit whose conv shares its output channels with other convs (a residual
    stream) joins them in one group; the group's rate is its first unit's
    (network order) and its channels are ranked by the members' mean rank.
    """
    tp = _torch_pruning()
    graph = build_graph(model, example_inputs, forward_fn)
    by_conv = {u.conv: u for u in units if u.prunable}
    groups, seen = [], set()
    for unit in units:
        if not unit.prunable or unit.conv in seen:
            continue
        conv = model.get_submodule(unit.conv)
        group = graph.get_pruning_group(conv, tp.prune_conv_out_channels, idxs=[0])
        out = _out_modules(graph, group)
        members = [by_conv[n] for n in out if n in by_conv]
        seen.update(m.conv for m in members)
        groups.append(ChannelGroup(members, rates[unit.conv], out, conv.out_channels))
    return groups


def select_channels(model: nn.Module, groups: List[ChannelGroup],
                    ranks: Dict[str, torch.Tensor]) -> None:
    """Fill ``group.kept`` from the ranks (and L1 norms as tie-break)."""
    for g in groups:
        rank = torch.stack([ranks[u.conv].double() for u in g.units]).mean(0)
        l1 = sum(model.get_submodule(c).weight.detach().abs().flatten(1).sum(1).double()
                 for c in g.convs)
        if rank.numel() != g.channels:
            raise ValueError(f'ranks of {g.convs[0]} have {rank.numel()} channels, the conv '
                             f'has {g.channels}: the rank file belongs to another model')
        g.kept = kept_channels(rank, l1, g.rate)


@torch.no_grad()
def apply_masks(model: nn.Module, groups: Sequence[ChannelGroup]) -> None:
    """Zero every output-channel parameter of the pruned channels.

    Zero conv filters and zero BN weight/bias make a channel exactly 0 after
    BN (and after ReLU), so the masked model computes what the physically
    pruned one does. Applied after every optimizer step while fine-tuning.
    """
    for g in groups:
        if g.targets is None:
            raise RuntimeError('apply_masks before resolve_targets')
        for name, idxs in g.targets.items():
            module = model.get_submodule(name)
            if module.weight is not None:
                module.weight[idxs] = 0
            if getattr(module, 'bias', None) is not None:
                module.bias[idxs] = 0


def prune_physically(model: nn.Module, groups: Sequence[ChannelGroup], example_inputs,
                     forward_fn=None, inplace: bool = False) -> nn.Module:
    """Remove the pruned channels (and everything coupled to them)."""
    tp = _torch_pruning()
    target = model if inplace else copy.deepcopy(model)
    graph = build_graph(target, example_inputs, forward_fn)
    for g in groups:
        drop = sorted(set(range(g.channels)) - set(g.kept))
        if not drop:
            continue
        conv = target.get_submodule(g.convs[0])
        group = graph.get_pruning_group(conv, tp.prune_conv_out_channels, idxs=drop)
        group.prune()
    return target


def pruned_channels_spec(groups: Sequence[ChannelGroup]) -> Dict[str, List[int]]:
    """{first conv of each group: kept indices} (what a pruned checkpoint records)."""
    return {g.convs[0]: list(g.kept) for g in groups}
