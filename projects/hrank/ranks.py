"""Average matrix rank of feature maps (HRank, CVPR 2020, Eq. 1-2)."""
import json
import os.path as osp
from typing import Callable, Dict, Iterable, Optional, Sequence

import torch
import torch.nn as nn


def feature_map_ranks(output: torch.Tensor) -> torch.Tensor:
    """Rank of every (sample, channel) map of ``output`` (N, C, H, W), in fp32.

    ``torch.linalg.matrix_rank`` with its default tolerance
    ``sigma_max * max(H, W) * eps(float32)``, as the official code's
    ``torch.matrix_rank``. Returns (N, C) float.
    """
    maps = output.detach().float()
    return torch.linalg.matrix_rank(maps).float()


class RankCollector:
    """Forward hooks accumulating the mean rank of chosen modules' outputs.

    ``R(w_i^j) = E_I[rank(o_i^j(I))]`` estimated by the running mean over all
    images seen (HRank Eq. 2). A ``select`` callable per layer may pick the
    channels that belong to the layer (e.g. DenseNet's last ``growth`` maps).

    Args:
        model (nn.Module): the network (in eval mode while collecting).
        layers (dict): {rank key: module name whose output is ranked}.
        select (dict, optional): {rank key: fn(output) -> output slice}.
    """

    def __init__(self, model: nn.Module, layers: Dict[str, str],
                 select: Optional[Dict[str, Callable]] = None):
        self.sums: Dict[str, torch.Tensor] = {}
        self.counts: Dict[str, int] = {}
        self._handles = []
        modules = dict(model.named_modules())
        missing = sorted(set(layers.values()) - set(modules))
        if missing:
            raise ValueError(f'rank layers not found in the model: {missing[:5]}')
        select = select or {}
        for key, name in layers.items():
            fn = select.get(key)
            self._handles.append(modules[name].register_forward_hook(
                lambda m, i, o, key=key, fn=fn: self._record(key, o if fn is None else fn(o))))

    def _record(self, key: str, output: torch.Tensor) -> None:
        if isinstance(output, (tuple, list)):
            output = output[0]
        ranks = feature_map_ranks(output)
        self.sums[key] = self.sums.get(key, 0) + ranks.sum(0).double()
        self.counts[key] = self.counts.get(key, 0) + ranks.shape[0]

    def ranks(self) -> Dict[str, torch.Tensor]:
        """{rank key: mean rank per channel (float64)}."""
        return {k: self.sums[k] / self.counts[k] for k in self.sums}

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


@torch.no_grad()
def collect_ranks(model: nn.Module, batches: Iterable, layers: Dict[str, str],
                  forward: Callable, num_batches: int,
                  select: Optional[Dict[str, Callable]] = None,
                  progress: bool = True) -> Dict[str, torch.Tensor]:
    """Run ``forward(batch)`` on ``num_batches`` batches and return the mean ranks.

    The model is put in eval mode (as the official ``rank_generation.py``).
    """
    from mmengine.utils import ProgressBar
    was_training = model.training
    model.eval()
    collector = RankCollector(model, layers, select)
    bar = ProgressBar(num_batches) if progress else None
    try:
        for i, batch in enumerate(batches):
            if i >= num_batches:
                break
            forward(batch)
            if bar is not None:
                bar.update()
    finally:
        collector.remove()
        model.train(was_training)
    if bar is not None:
        bar.file.write('\n')
    if not collector.sums:
        raise RuntimeError('no rank was collected: the data loader gave no batch or '
                           'the hooked layers never ran')
    return collector.ranks()


def save_ranks(ranks: Dict[str, torch.Tensor], path: str, meta: Optional[dict] = None) -> None:
    """Write ranks as JSON ({"meta": ..., "ranks": {key: [floats]}}), atomically."""
    from mmlean.compat.atomic_write import atomic_write_bytes
    data = dict(meta=meta or {}, ranks={k: [float(x) for x in v] for k, v in ranks.items()})
    atomic_write_bytes(json.dumps(data, indent=1).encode(), path)


def load_ranks(path: str, expected: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
    """Read ranks written by :func:`save_ranks`, validating the keys.

    Raises:
        FileNotFoundError / ValueError: naming the file and what is wrong.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'rank file not found: {path} (write it with '
                                'tools/analysis_tools/hrank_ranks.py)')
    try:
        data = json.load(open(path))
        ranks = {k: torch.tensor(v, dtype=torch.float64) for k, v in data['ranks'].items()}
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f'{path}: not an HRank rank file ({type(err).__name__}: {err}); '
                         'expected {"ranks": {layer: [mean rank per channel]}}') from None
    if expected is not None:
        missing = [k for k in expected if k not in ranks]
        if missing:
            raise ValueError(f'{path}: no ranks for layers {missing[:5]} '
                             f'({len(missing)} missing)')
    return ranks
