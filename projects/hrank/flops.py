"""FLOPs/params: measured on the real graph (ptflops) and HRank's own formula."""
import re
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn

from .units import PruneUnit


class _TensorForward(nn.Module):
    """Wrap an OpenMMLab model so ``forward(x)`` returns tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        try:
            return self.model(x, mode='tensor')
        except TypeError:
            return self.model(x)


def conv_linear_complexity(model: nn.Module, input_shape: Tuple[int, int, int]):
    """(MACs, params) of ``model`` counting conv and linear layers only, as the
    HRank paper (and most pruning papers) count FLOPs, with ptflops."""
    from ptflops import get_model_complexity_info
    ignore = [nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Hardtanh,
              nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Identity]
    was_training = model.training
    model.eval()
    try:
        macs, _ = get_model_complexity_info(
            _TensorForward(model), tuple(input_shape), as_strings=False,
            print_per_layer_stat=False, verbose=False, ignore_modules=ignore,
            backend='pytorch', backend_specific_config={'count_functional': False})
    finally:
        model.train(was_training)
    if macs is None:  # ptflops reports the exception and returns None
        raise RuntimeError(f'{type(model).__name__}: cannot count MACs on an input of shape '
                           f'{tuple(input_shape)} (its forward on a bare tensor failed)')
    params = sum(p.numel() for p in model.parameters())
    return int(macs), int(params)


@torch.no_grad()
def hrank_formula(model: nn.Module, units: Sequence[PruneUnit], rates: Dict[str, float],
                  input_shape: Tuple[int, int, int]):
    """FLOPs/params as HRank's ``cal_flops_params.py`` counts them.

    Each conv keeps ``F - int(rate * F)`` output filters and *all* its input
    channels (the next layer's input reduction is not counted, as the README
    says), except DenseNet transitions, which the official counter charges
    for the input channels their block pruned; a unit marked non-prunable
    still counts its rate here, because the official code counts every rate
    of the string. Linear layers count weight
    and bias operations; BatchNorm parameters are not counted (as in the
    official ``get_flops.py``).
    """
    sizes = {}
    handles = []

    def record(name, output):  # returns None: a hook's return value replaces the output
        sizes.setdefault(name, tuple(output.shape[-2:]))

    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: record(name, o)))
    was_training = model.training
    model.eval()
    try:
        _TensorForward(model)(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    rate_of = {u.conv: rates.get(u.conv, 0.0) for u in units}

    def pruned(name):
        out = model.get_submodule(name).out_channels
        return int(rate_of.get(name, 0.0) * out)  # int(cp_rate * F)

    macs = 0.0
    params = 0.0
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            out = module.out_channels
            kept = out - pruned(name)
            k = module.kernel_size[0] * module.kernel_size[1]
            h, wd = sizes.get(name, (0, 0))
            cin = module.in_channels
            match = re.search(r'(.*)trans(\d)\.conv1$', name)
            if match:
                # the official counter's DenseNet rule: a transition also loses
                # the input channels its dense block pruned (last_prune_num)
                prefix, b = match.group(1), int(match.group(2))
                feeders = [f'{prefix}conv1' if b == 1 else f'{prefix}trans{b - 1}.conv1']
                feeders += [u.conv for u in units if u.conv.startswith(f'{prefix}dense{b}.')]
                cin -= sum(pruned(f) for f in feeders)
            macs += cin // module.groups * kept * k * h * wd
            params += module.weight.numel() * kept / out * cin / module.in_channels
            if module.bias is not None:
                params += kept
        elif isinstance(module, nn.Linear):
            macs += module.weight.numel() + (module.bias.numel() if module.bias is not None else 0)
            params += sum(p.numel() for p in module.parameters(recurse=False))
    return int(macs), int(params)
