"""A candidate-op mutable whose search space shrinks: abandoned ops are masked, not deleted.

mmrazor 1.0's mutables can only be *fixed* (one irreversible step to the
final choice). The sample-evaluate-reduce searches of BNAS (Chen et al., AAAI
2020, arXiv 1911.10862, performance-based operation-space reduction), CP-NAS
(Zhuo et al., IJCAI 2020, arXiv 2005.00057, Algorithm "Child-Parent NAS") and
ABanditNAS (Chen et al., ECCV 2020, arXiv 2008.00698, Eq. 13) abandon one op
per edge at a time and evaluate single paths in between.
:class:`ReducibleMutableOP` adds exactly that to mmrazor's ``DiffMutableOP``:

* ``active`` (a buffer: checkpoints and ``--resume`` keep the reduced space)
  masks abandoned ops; ``compute_arch_probs`` is the softmax over the active
  logits only, and ``sample_choice`` (DARTS argmax) never returns an abandoned op;
* ``single_path`` runs one op only (a sampled sub-network that inherits the
  supernet's weights);
* ``pc_k > 1`` adds PC-DARTS's partial channel connections (Xu et al., ICLR
  2020, arXiv 1907.05737, Sec. 3.2; official ``model_search.py`` ``MixedOp``):
  the first ``C / pc_k`` channels go through the op(s), the rest bypass them
  (max-pooled 2x2 on stride-2 edges), then channels are shuffled in ``pc_k``
  groups. The edge normalization of PC-DARTS is mmrazor's ``DiffChoiceRoute``
  with ``with_arch_param=True``.

The mutator (:class:`~mmlean.nas.SampleReduceMutator`) keeps every mutable of
an alias group in lockstep.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import channel_shuffle
from mmrazor.models.mutables import DiffMutableOP
from mmrazor.registry import MODELS
from mmrazor.utils.typing import DumpChosen


class SearchSpaceError(ValueError):
    """A search-space operation that cannot be done (e.g. abandoning the last op)."""


@MODELS.register_module()
class ReducibleMutableOP(DiffMutableOP):
    """mmrazor's ``DiffMutableOP`` with a shrinking candidate set and single-path mode.

    Args:
        candidates (dict[str, dict]): the candidate op configs (as ``DiffMutableOP``).
        pc_k (int): partial-channel ratio K of PC-DARTS (1: all channels; 4 on CIFAR).
        fix_threshold, module_kwargs, alias, init_cfg: as ``DiffMutableOP``.
    """

    def __init__(self, candidates: Dict[str, Dict], pc_k: int = 1, fix_threshold: float = 1.0,
                 module_kwargs: Optional[Dict] = None, alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        module_kwargs = dict(module_kwargs or {})
        self._check_pc(pc_k, module_kwargs, alias)
        if pc_k > 1:
            for key in ('in_channels', 'out_channels'):
                if key in module_kwargs:
                    module_kwargs[key] //= pc_k
        super().__init__(candidates, fix_threshold, module_kwargs, alias, init_cfg)
        self.pc_k = int(pc_k)
        self.stride = int(module_kwargs.get('stride', 1))
        self.register_buffer('active', torch.ones(len(self._candidates), dtype=torch.bool))
        self.single_path: Optional[str] = None

    @staticmethod
    def _check_pc(pc_k, module_kwargs, alias) -> None:
        if not isinstance(pc_k, int) or pc_k < 1:
            raise ValueError(f'ReducibleMutableOP {alias}: pc_k must be an int >= 1, got {pc_k!r}')
        for key in ('in_channels', 'out_channels'):
            channels = module_kwargs.get(key)
            if pc_k > 1 and channels is not None and channels % pc_k:
                raise ValueError(f'ReducibleMutableOP {alias}: {key}={channels} is not divisible '
                                 f'by pc_k={pc_k}')

    # --- the reduced space ---------------------------------------------------
    @property
    def all_choices(self) -> List[str]:
        """Every candidate name, in construction order (``choices`` shrinks when fixed)."""
        return list(self._candidates.keys()) if not self.is_fixed else self._all_choices

    @property
    def active_choices(self) -> List[str]:
        return [c for c, keep in zip(self.all_choices, self.active.tolist()) if keep]

    def abandon(self, choice: str) -> None:
        """Remove ``choice`` from the search space (its weights stay, masked)."""
        if choice not in self.all_choices:
            raise SearchSpaceError(f'{self.alias}: no candidate {choice!r}; '
                                   f'candidates: {self.all_choices}')
        if self.active.sum() <= 1 and self.active[self.all_choices.index(choice)]:
            raise SearchSpaceError(f'{self.alias}: cannot abandon {choice!r}, the last '
                                   'active candidate')
        if self.single_path == choice:
            raise SearchSpaceError(f'{self.alias}: {choice!r} is the running single path')
        self.active[self.all_choices.index(choice)] = False

    def _masked(self, arch_param: torch.Tensor) -> torch.Tensor:
        return arch_param.masked_fill(~self.active.to(arch_param.device), float('-inf'))

    def compute_arch_probs(self, arch_param: torch.Tensor) -> torch.Tensor:
        """Softmax over the active candidates; abandoned ones get probability 0."""
        return F.softmax(self._masked(arch_param), -1)

    def sample_choice(self, arch_param: torch.Tensor) -> str:
        """DARTS argmax, over the active candidates only."""
        return self.all_choices[int(torch.argmax(self._masked(arch_param)))]

    def fix_chosen(self, chosen) -> None:
        self._all_choices = list(self._candidates.keys())
        super().fix_chosen(chosen)

    def dump_chosen(self) -> DumpChosen:
        chosen = self.export_chosen()
        return DumpChosen(chosen=chosen, meta=dict(all_choices=self.all_choices,
                                                   active=self.active_choices))

    # --- forward --------------------------------------------------------------
    def _ops(self, x, arch_param):
        if self.is_fixed:
            return self.forward_fixed(x)
        if self.single_path is not None:
            return self._candidates[self.single_path](x)
        if arch_param is None:
            return sum(op(x) for name, op in self._candidates.items()
                       if name in self.active_choices)
        return self.forward_arch_param(x, arch_param)

    def forward(self, x, arch_param: Optional[torch.Tensor] = None):
        if self.pc_k == 1:
            return self._ops(x, arch_param)
        part = x.shape[1] // self.pc_k
        y = self._ops(x[:, :part], arch_param)
        bypass = x[:, part:]
        if y.shape[2] != x.shape[2]:
            bypass = F.max_pool2d(bypass, 2, 2)
        return channel_shuffle(torch.cat([y, bypass], dim=1), self.pc_k)

    def extra_repr(self) -> str:
        return f'alias={self.alias}, pc_k={self.pc_k}, active={self.active_choices}'
