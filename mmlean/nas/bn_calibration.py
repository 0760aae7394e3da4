"""Re-estimating BatchNorm statistics of a sampled sub-network before it is evaluated."""
from typing import Any, Iterable

import torch
import torch.distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm


def batch_size_of(data_batch: Any) -> int:
    """Samples in a batch as the dataloaders give them (a dict of ``inputs`` and
    ``data_samples``, or a tensor)."""
    inputs = data_batch['inputs'] if isinstance(data_batch, dict) else data_batch
    return len(inputs)


def take_samples(data_batch: Any, count: int) -> Any:
    """The first ``count`` samples of a batch (the batch itself when it has no more)."""
    if batch_size_of(data_batch) <= count:
        return data_batch
    if isinstance(data_batch, dict):
        return {k: v[:count] if isinstance(v, (list, tuple, torch.Tensor)) else v
                for k, v in data_batch.items()}
    return data_batch[:count]


@torch.no_grad()
def recalibrate_bn(model: torch.nn.Module, batches: Iterable, num_samples: int) -> int:
    """Set every BatchNorm's running mean and variance to their averages over the first
    ``num_samples`` samples of ``batches`` run through ``model.test_step`` in training mode.

    This is the recalibration of single-path NAS (Guo et al., "Single Path One-Shot",
    ECCV 2020; mmrazor's ``CalibrateBNMixin``): the batch means and unbiased batch variances,
    weighted by batch size, summed over ranks when distributed; BN layers the current path
    does not reach keep their statistics. Unlike mmrazor 1.0's mixin, which counts the
    keys of a dict batch as its samples (and slices the dict once fewer than two samples
    remain), batches are counted and cut by their samples.

    Returns the number of samples used on this rank.
    """
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    sums = {}

    def record(module, inputs, output):
        x = inputs[0]
        n = x.size(0)
        mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=True)
        prev = sums.get(module)
        sums[module] = (mean * n, var * n, n) if prev is None else \
            (prev[0] + mean * n, prev[1] + var * n, prev[2] + n)

    handles = [bn.register_forward_hook(record) for bn in bns]
    model.train()
    used = 0
    try:
        for data_batch in batches:
            if used >= num_samples:
                break
            data_batch = take_samples(data_batch, num_samples - used)
            model.test_step(data_batch)
            used += batch_size_of(data_batch)
    finally:
        for handle in handles:
            handle.remove()
    distributed = dist.is_available() and dist.is_initialized()
    for bn in bns:  # the same order on every rank
        if bn not in sums:
            continue
        mean_sum, var_sum, count = sums[bn]
        if distributed:
            total = torch.stack([mean_sum, var_sum])
            count_t = torch.tensor([float(count)], device=mean_sum.device)
            dist.all_reduce(total)
            dist.all_reduce(count_t)
            mean_sum, var_sum, count = total[0], total[1], count_t.item()
        dim = mean_sum.numel()
        bn.running_mean[:dim].copy_(mean_sum / count)
        bn.running_var[:dim].copy_(var_sum / count)
    return used
