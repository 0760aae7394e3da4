"""HRank as an MMRazor algorithm."""
import logging
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.registry import MODELS

from mmlean.utils.algorithm import classifier_defaults
from .compress_rate import rates_for_units
from .pruning import apply_masks, plan_groups, prune_physically, resolve_targets, select_channels
from .ranks import load_ranks
from .units import prune_units


def _forward_tensor(model, x):
    return model(x, mode='tensor')


@MODELS.register_module()
class HRank(BaseAlgorithm):
    """`HRank <https://arxiv.org/abs/2002.10179>`_: filter pruning by the
    average rank of feature maps (Lin et al., CVPR 2020).

    For every conv (in the paper's order, :func:`prune_units`) the filters
    whose feature maps have the lowest average rank (Eq. 1-2, computed once on
    the unpruned network by ``tools/analysis_tools/hrank_ranks.py``) are
    removed, ``int(rate * C)`` of them, ``rate`` from the paper's
    compress-rate string or a dict. While fine-tuning, pruned filters are
    masked (zeroed after every step, as the official code does, by
    :class:`HRankHook`); :meth:`export` then removes them physically with
    torch-pruning, together with everything coupled to them (BN, next convs'
    inputs, residual streams), so the deployed model is really smaller.

    Args:
        architecture (dict | BaseModel): the model to prune (mmpretrain scope
            by default).
        compress_rate (str | list | dict): per-conv fraction of filters to
            remove; string/list: one per unit in network order (the length is
            checked); dict: {conv name: rate}.
        rank_file (str, optional): ranks written by hrank_ranks.py; needed
            before training starts (not to build the model).
        input_shape (tuple): (C, H, W) used to trace the channel dependencies.
        backbone_path (str): where the backbone lives. Defaults to 'backbone'.
        prune_stream (bool): prune residual streams (groups of coupled
            convs) of option-B ResNets. False for a backbone whose outputs feed
            other modules (detectors). Defaults to True.
        trace_backbone_only (bool): trace only the backbone (detectors).
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 compress_rate: Union[str, Sequence[float], Dict[str, float]],
                 rank_file: Optional[str] = None,
                 input_shape: Tuple[int, int, int] = (3, 32, 32),
                 backbone_path: str = 'backbone', prune_stream: bool = True,
                 trace_backbone_only: bool = False,
                 data_preprocessor=None, init_cfg=None):
        architecture, data_preprocessor = classifier_defaults(architecture,
                                                              data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.rank_file = rank_file
        self.input_shape = tuple(input_shape)
        self.backbone_path = backbone_path
        self.trace_backbone_only = trace_backbone_only
        self.units = prune_units(self.architecture, backbone_path, prune_stream)
        self.rates = rates_for_units(compress_rate, self.units)
        skipped = [u for u in self.units if not u.prunable and self.rates[u.conv] > 0]
        if skipped:
            print_log(f'HRank: {len(skipped)} convs keep all their filters (their rates are '
                      f'not applied physically, e.g. {skipped[0].conv}): {skipped[0].reason}',
                      logger='current', level=logging.INFO)
        self.groups = plan_groups(self._trace_root(), self._trace_units(),
                                  self._group_rate_keys(), self._example(), self._forward_fn())
        for i, g in enumerate(self.groups):
            self.register_buffer(f'kept_mask_{i}', torch.ones(g.channels, dtype=torch.bool))
        self.register_buffer('hrank_prepared', torch.tensor(False))
        self.register_buffer('hrank_active', torch.tensor(0))

    # -- tracing ------------------------------------------------------------
    def _trace_root(self):
        if self.trace_backbone_only:
            return self.architecture.get_submodule(self.backbone_path)
        return self.architecture

    def _trace_units(self):
        if not self.trace_backbone_only:
            return self.units
        prefix = self.backbone_path + '.'
        from dataclasses import replace
        return [replace(u, conv=u.conv[len(prefix):], rank_layer=u.rank_layer[len(prefix):])
                for u in self.units]

    def _example(self):
        return torch.zeros(1, *self.input_shape, device=next(self.parameters()).device)

    def _forward_fn(self):
        return None if self.trace_backbone_only else _forward_tensor

    def _group_rate_keys(self):
        return self.rates if not self.trace_backbone_only else {
            k[len(self.backbone_path) + 1:]: v for k, v in self.rates.items()}

    # -- masks ----------------------------------------------------------------
    def _masks_to_groups(self):
        changed = False
        for i, g in enumerate(self.groups):
            kept = torch.nonzero(getattr(self, f'kept_mask_{i}')).flatten().tolist()
            changed |= kept != g.kept
            g.kept = kept
        if changed or any(g.targets is None for g in self.groups):
            resolve_targets(self._trace_root(), self.groups, self._example(),
                            self._forward_fn())
        return self.groups

    @torch.no_grad()
    def prepare(self, ranks: Optional[Dict[str, torch.Tensor]] = None) -> None:
        """Choose the kept filters from the ranks and the current weights.

        Called once by :class:`HRankHook` before fine-tuning (after the
        pretrained weights are loaded); the choice is stored in buffers, so it
        survives checkpoints and resumes.
        """
        if ranks is None:
            if not self.rank_file:
                raise ValueError('HRank needs rank_file (tools/analysis_tools/'
                                 'hrank_ranks.py writes it) before it can prune')
            ranks = load_ranks(self.rank_file, [u.conv for u in self.units if u.prunable])
        root = self._trace_root()
        if self.trace_backbone_only:
            prefix = self.backbone_path + '.'
            ranks = {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in ranks.items()}
        select_channels(root, self.groups, ranks)
        for i, g in enumerate(self.groups):
            mask = torch.zeros(g.channels, dtype=torch.bool)
            mask[g.kept] = True
            getattr(self, f'kept_mask_{i}').copy_(mask)
        self.hrank_prepared.fill_(True)

    @property
    def prepared(self) -> bool:
        return bool(self.hrank_prepared)

    def set_active(self, count: int) -> None:
        """Prune the first ``count`` groups (layer-by-layer HRank) or all."""
        self.hrank_active.fill_(max(0, min(int(count), len(self.groups))))

    def apply_masks(self) -> None:
        if not self.prepared:
            return
        groups = self._masks_to_groups()[:int(self.hrank_active)]
        apply_masks(self._trace_root(), groups)

    # -- export ---------------------------------------------------------------
    def export(self) -> torch.nn.Module:
        """A physically pruned copy of the architecture (every active group)."""
        if not self.prepared:
            raise RuntimeError('HRank.export() before prepare(): no filters chosen yet')
        groups = self._masks_to_groups()[:int(self.hrank_active)]
        root = self._trace_root()
        pruned_root = prune_physically(root, groups, self._example(), self._forward_fn())
        if not self.trace_backbone_only:
            return pruned_root
        import copy
        arch = copy.deepcopy(self.architecture)
        parent, _, child = self.backbone_path.rpartition('.')
        setattr(arch.get_submodule(parent) if parent else arch, child, pruned_root)
        return arch


def load_pruned(algorithm: HRank, path: str) -> torch.nn.Module:
    """Rebuild a physically pruned model from an ``hrank_export.py`` file.

    ``algorithm`` is a freshly built HRank model of the same config; the
    recorded kept channels are pruned from its architecture, then the saved
    weights are loaded (``weights_only``).
    """
    from mmlean.compat.checkpoint import safe_load
    data = safe_load(path)
    if not isinstance(data, dict) or 'kept' not in data or 'state_dict' not in data:
        raise ValueError(f'{path}: not an hrank_export.py file (expected keys '
                         "'state_dict' and 'kept')")
    kept = data['kept']
    by_first = {g.convs[0]: g for g in algorithm.groups}
    unknown = sorted(set(kept) - set(by_first))
    if unknown:
        raise ValueError(f'{path}: pruned layers {unknown[:3]} do not exist in this config')
    for i, g in enumerate(algorithm.groups):
        mask = torch.zeros(g.channels, dtype=torch.bool)
        mask[kept.get(g.convs[0], list(range(g.channels)))] = True
        getattr(algorithm, f'kept_mask_{i}').copy_(mask)
    algorithm.hrank_prepared.fill_(True)
    algorithm.set_active(len(algorithm.groups))
    pruned = algorithm.export()
    missing, unexpected = pruned.load_state_dict(data['state_dict'], strict=False)
    if missing or unexpected:
        raise ValueError(f'{path}: weights do not match the pruned structure: missing '
                         f'{missing[:3]}, unexpected {unexpected[:3]}')
    return pruned.eval()
