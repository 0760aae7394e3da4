"""The Scale Pyramid Pooling Loss of NAS-Count (Hu et al., ECCV 2020, arXiv 2003.00217)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.registry import MODELS
from mmrazor.models.mutables import DiffMutableOP

from .ops import POOL_MODES, spp_pool

SPP_POOLS = POOL_MODES + ('searched', )


@MODELS.register_module()
class SPPLoss(nn.Module):
    """Scale Pyramid Pooling Loss: per-pixel MSE plus MSE on a pyramid of pooled maps.

    NAS-Count (arXiv 2003.00217, Sec. 3.3 and the abstract) supervises the
    density map at several scales to escape the "pixel-level isolation" of
    plain MSE: both maps are pooled repeatedly and compared at every level,

    ``P^0 = D, P^l = pool_l(P^{l-1})``,
    ``L = loss_weight * sum_{l=0..L} w_l * mean((P^l(pred) - P^l(target))^2)``.

    ``pool``: ``'avg'``, ``'sum'`` (keeps regional counts exactly) or ``'max'``
    (``k x k`` windows, stride ``k``; partial windows at the bottom/right are
    zero padded) or ``'searched'``: at each level a mmrazor ``DiffMutableOP``
    (alias ``{alias}_l{l}``) over the ``candidates`` pools, whose
    architecture parameters are found by the mutator like the network's (the
    loss must sit inside the searched architecture, e.g. a density head's
    ``loss``), so the pooling is learned with the architecture on the
    architecture split and fixed by ``fix_subnet`` for retraining; before
    search the mutable sums its candidates. The level count, pooling types,
    kernel and weights are not verified against the paper (defaults: 3
    levels of 2x2, ``w_l = 1``). ``levels=0`` is plain MSE.

    Args:
        levels (int): pooled levels ``L``. Defaults to 3.
        pool (str): 'avg', 'sum', 'max' or 'searched'. Defaults to 'avg'.
        weights (Sequence[float], optional): ``w_0..w_L``. Defaults to ones.
        kernel_size (int): pooling window and stride. Defaults to 2.
        candidates (Sequence[str]): pools of the searched mode. Defaults to
            ``('avg', 'max')``.
        alias (str): alias prefix of the searched mutables. Defaults to 'spp'.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self, levels: int = 3, pool: str = 'avg',
                 weights: Optional[Sequence[float]] = None, kernel_size: int = 2,
                 candidates: Sequence[str] = ('avg', 'max'), alias: str = 'spp',
                 loss_weight: float = 1.0):
        super().__init__()
        if pool not in SPP_POOLS:
            raise ValueError(f'SPPLoss: pool must be one of {SPP_POOLS}, got {pool!r}')
        if levels < 0:
            raise ValueError(f'SPPLoss: levels must be >= 0, got {levels}')
        weights = [1.0] * (levels + 1) if weights is None else list(weights)
        if len(weights) != levels + 1:
            raise ValueError(f'SPPLoss: {len(weights)} weights for {levels + 1} levels '
                             '(w_0 is the unpooled map)')
        bad = [c for c in candidates if c not in POOL_MODES]
        if pool == 'searched' and (bad or len(candidates) < 1):
            raise ValueError(f'SPPLoss: candidates must be among {POOL_MODES}, got '
                             f'{list(candidates)}')
        self.levels, self.pool, self.weights = levels, pool, weights
        self.kernel_size, self.loss_weight = kernel_size, loss_weight
        if pool == 'searched':
            self.pools = nn.ModuleList(
                DiffMutableOP(candidates={
                    c: dict(type='SPPPool', mode=c, kernel_size=kernel_size)
                    for c in candidates
                }, alias=f'{alias}_l{lv + 1}') for lv in range(levels))

    def pool_level(self, level: int, pred: torch.Tensor, target: torch.Tensor):
        """Level ``level`` (1-based) from level ``level - 1`` of both maps."""
        if self.pool != 'searched':
            return (spp_pool(pred, self.pool, self.kernel_size),
                    spp_pool(target, self.pool, self.kernel_size))
        # one forward for both maps: the same (mixed or fixed) pooling
        both = self.pools[level - 1](torch.cat([pred, target], 0))
        return both[:pred.shape[0]], both[pred.shape[0]:]

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'SPPLoss: prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        loss = self.weights[0] * torch.mean((pred - target)**2)
        for lv in range(1, self.levels + 1):
            pred, target = self.pool_level(lv, pred, target)
            loss = loss + self.weights[lv] * torch.mean((pred - target)**2)
        return self.loss_weight * loss
