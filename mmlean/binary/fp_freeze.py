"""Run the full-precision parts of a deploy model the way its FP32 twin runs at its best.

A bit-packed network keeps some layers in FP32 (Bi-Real's 7x7 stem with its BN,
activation and max-pool, the 1x1 downsample convs with their BN). Eager PyTorch
runs each of them as a separate op with its weight reordered on every call; the
fastest FP32 form of a whole network on a CPU is TorchScript frozen and
optimized for inference (``torch.jit.freeze`` + ``torch.jit.optimize_for_inference``:
BN folded into the conv, weights pre-packed for oneDNN, the activation and pool
fused where oneDNN can). :func:`freeze_fp_chains` gives the deploy model's FP
parts that same treatment, so a binary-vs-FP32 comparison is best form against
best form. The bit-packed convs are untouched (TorchScript cannot trace them).

A *chain* is a run of sibling leaf modules that a sample forward shows feeding
one another (each consumes the previous one's output), starting with an FP
``nn.Conv2d`` and continuing with BN, clamp-like activations and pooling. The
first module of the chain is replaced by its fast form (the conv with the BN
folded in; a :class:`FrozenFPChain` when an activation or pool follows), the
others by ``nn.Identity``. The result is checked on the
sample against the original model; a chain whose intermediate output is also
used elsewhere (so the replacement changes the result) is put back.

Frozen chains hold their weights as TorchScript constants: this is a run-time
step after loading a deploy model, not a form to save with ``state_dict``.
"""
import warnings
from typing import List

import torch
import torch.nn as nn

FOLLOWERS = (nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.MaxPool2d, nn.AvgPool2d)


class FrozenFPChain(nn.Module):
    """A frozen, inference-optimized TorchScript of a chain of FP modules.

    Args:
        modules (list[nn.Module]): the chain, in the order it runs.
        sample (Tensor): an input of the first module (for tracing).
        names (list[str]): the chain's module names (shown by ``repr``).
    """

    def __init__(self, modules: List[nn.Module], sample: torch.Tensor, names: List[str]):
        super().__init__()
        chain = nn.Sequential(*modules).eval()
        with torch.no_grad(), warnings.catch_warnings():
            # torch 2.x marks TorchScript deprecated in favour of torch.compile, which needs
            # a compiler at run time on CPUs; TorchScript still gives the oneDNN fusions
            warnings.simplefilter('ignore', FutureWarning)
            traced = torch.jit.trace(chain, sample)
            self.script = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        self.names = list(names)
        self.channels_last = sample.is_contiguous(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.script(x)
        # keep the channels_last layout the eager chain kept (oneDNN may return NCHW)
        if self.channels_last and not out.is_contiguous(memory_format=torch.channels_last):
            out = out.contiguous(memory_format=torch.channels_last)
        return out

    def extra_repr(self) -> str:
        return ' -> '.join(self.names)


def _record_leaves(model: nn.Module, sample: torch.Tensor):
    """[(name, module, input, output)] of every leaf module, in execution order."""
    calls, handles = [], []
    for name, module in model.named_modules():
        if name and not any(True for _ in module.children()):
            handles.append(module.register_forward_hook(
                lambda m, i, o, n=name: calls.append((n, m, i[0] if i else None, o))))
    try:
        with torch.no_grad():
            reference = model(sample)
    finally:
        for h in handles:
            h.remove()
    return calls, reference


def _chains(calls):
    """Runs of two or more sibling leaf calls that start with an FP ``nn.Conv2d`` and
    each consume the previous call's output."""
    chains, current = [], []
    for name, module, inp, out in calls:
        if (current and isinstance(module, FOLLOWERS) and inp is current[-1][3]
                and name.rpartition('.')[0] == current[-1][0].rpartition('.')[0]):
            current.append((name, module, inp, out))
            continue
        if len(current) > 1:  # a lone conv has nothing to fold or fuse
            chains.append(current)
        is_fp_conv = type(module) is nn.Conv2d and isinstance(inp, torch.Tensor)
        current = [(name, module, inp, out)] if is_fp_conv else []
    if len(current) > 1:
        chains.append(current)
    return chains


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition('.')
    setattr(model.get_submodule(parent) if parent else model, child, module)


@torch.no_grad()
def freeze_fp_chains(model: nn.Module, sample: torch.Tensor, atol: float = 1e-4) -> List[str]:
    """Fold the BN of every FP conv chain of ``model`` (eval mode) into its conv and run
    the chains that go on to an activation or a pool as a :class:`FrozenFPChain`.

    Args:
        model (nn.Module): a deploy model (bit-packed convs stay as they are).
        sample (Tensor): an input of ``model``, in the layout it will be run with.
        atol (float): largest output change accepted per chain (float reordering).

    Returns:
        list[str]: the first module name of every replaced chain.
    """
    model.eval()
    calls, reference = _record_leaves(model, sample)
    frozen = []
    for chain in _chains(calls):
        names = [n for n, _, _, _ in chain]
        originals = [m for _, m, _, _ in chain]
        _set(model, names[0], _fast_form(originals, chain[0][2], names))
        for n in names[1:]:
            _set(model, n, nn.Identity())
        out = model(sample)
        if not _close(out, reference, atol):
            for n, m in zip(names, originals):  # an intermediate is used elsewhere
                _set(model, n, m)
            continue
        frozen.append(names[0])
    return frozen


def _fast_form(modules: List[nn.Module], sample: torch.Tensor, names: List[str]) -> nn.Module:
    """The chain's BN folded into its conv; TorchScript only where an activation or a
    pool follows (oneDNN fuses those; a lone conv gains less from it than the layout
    conversions around a frozen graph cost, measured on the 1x1 downsamples)."""
    conv = modules[0]
    rest = modules[1:]
    if rest and isinstance(rest[0], nn.BatchNorm2d):
        conv = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, rest[0])
        rest = rest[1:]
    if not rest:
        return conv
    return FrozenFPChain([conv, *rest], sample, names)


def _close(a, b, atol: float) -> bool:
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and bool((a - b).abs().max() <= atol)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y, atol) for x, y in zip(a, b))
    return a == b
