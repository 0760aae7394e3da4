"""Load a full-precision SR checkpoint into the PAMS teacher and student.

The official PAMS training never loads the pretrained weights into the
quantized student (colorjam/PAMS issues #12, #15): only the teacher gets
them. We load both, on purpose; that is what makes the paper's numbers
reachable in its 30-epoch schedule.
"""
from typing import Dict

import torch
import torch.nn as nn

from mmlean.compat.checkpoint import safe_load

_PREFIXES = ('module.', 'generator.', 'architecture.generator.')


class CheckpointMismatchError(KeyError):
    """The checkpoint's keys or shapes do not fit the network."""

    def __str__(self):
        return str(self.args[0])


def generator_state(path: str) -> Dict[str, torch.Tensor]:
    """The generator weights of an mmagic checkpoint (or of a bare state dict)."""
    data = safe_load(path)
    state = data.get('state_dict', data) if isinstance(data, dict) else None
    if not isinstance(state, dict):
        raise CheckpointMismatchError(f'{path}: expected a state dict, got {type(data).__name__}')
    if any(k.startswith(('generator.', 'architecture.generator.')) for k in state):
        state = {k: v for k, v in state.items()
                 if k.startswith(('generator.', 'architecture.generator.'))}
    out = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        out[key] = value
    return out


def _short(keys, limit=8):
    keys = sorted(keys)
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return '[' + ', '.join(keys[:limit]) + ']' + more


def load_fp_into(net: nn.Module, state: Dict[str, torch.Tensor], path: str,
                 allowed_missing=lambda key: False) -> None:
    """Load ``state`` into ``net``, naming missing, unexpected and mis-shaped keys.

    ``allowed_missing(key)`` marks the keys the full-precision checkpoint
    cannot have (the student's quantizer parameters and buffers).
    """
    own = net.state_dict()
    missing = [k for k in own if k not in state and not allowed_missing(k)]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise CheckpointMismatchError(
            f'full-precision checkpoint {path} does not match {type(net).__name__}: '
            f'missing keys {_short(missing)}, unexpected keys {_short(unexpected)}')
    shapes = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
              for k, v in state.items() if tuple(v.shape) != tuple(own[k].shape)]
    if shapes:
        raise CheckpointMismatchError(
            f'full-precision checkpoint {path} has mis-shaped tensors for '
            f'{type(net).__name__}: ' + '; '.join(shapes[:8]))
    net.load_state_dict(state, strict=False)
