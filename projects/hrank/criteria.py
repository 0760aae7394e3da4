"""Filter scores other than HRank's rank, for the baselines HRank is compared with.

Both write the same ``{conv: score per output channel}`` that
:func:`~.ranks.collect_ranks` returns, so :class:`~.algorithm.HRank` prunes with
them unchanged: same compress rates (hence the same FLOPs), same grouping of
residual streams, same fine-tuning. Only the choice of channels differs.
"""
from typing import Dict, Sequence

import torch
import torch.nn as nn

CRITERIA = ('rank', 'l1', 'random')


def filter_l1_scores(model: nn.Module, convs: Sequence[str]) -> Dict[str, torch.Tensor]:
    """L1 norm of every filter, ``s_j = sum |K_j|`` (Li et al., ICLR 2017, §3.1).

    The criterion HRank's Table 1 compares against ("L1" for ResNet-56/110):
    the filters with the smallest sums of absolute kernel weights are pruned.
    """
    scores = {}
    for name in convs:
        weight = model.get_submodule(name).weight.detach()
        scores[name] = weight.abs().flatten(1).sum(1).double()
    return scores


def random_scores(model: nn.Module, convs: Sequence[str], seed: int) -> Dict[str, torch.Tensor]:
    """Uniform random scores per filter, from a generator seeded with ``seed``.

    The null baseline: any criterion worth its cost must beat a random choice
    of the same number of filters.
    """
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.rand(model.get_submodule(name).out_channels, generator=generator,
                             dtype=torch.float64) for name in convs}
