"""Choose the fastest of several equivalent deployment forms by timing them on this CPU.

Which of torch's kernels is fastest for a layer depends on the CPU (an int8
conv beats FP32 by 2-4x with AVX-512 VNNI and loses to it on AVX2-only cores),
the thread count and the input size, so a deployment times its candidate
forms once when it is built and keeps the result in a small JSON cache
(``$MMLEAN_CACHE_DIR/deploy_forms.json``, default ``~/.cache/mmlean``), keyed
by the CPU model, torch version, quantized engine, thread count and the
caller's description of the layer and input. A later build on the same
machine reads the choice instead of timing again.
"""
import json
import os
import os.path as osp
import platform
import statistics
from dataclasses import dataclass, field
from typing import Callable, Dict, Union

import torch

from mmlean.compat.atomic_write import atomic_write_bytes
from mmlean.utils.benchmark import timeit

CACHE_NAME = 'deploy_forms.json'


def default_cache_file() -> str:
    root = os.environ.get('MMLEAN_CACHE_DIR') or osp.join(osp.expanduser('~'), '.cache',
                                                          'mmlean')
    return osp.join(root, CACHE_NAME)


def cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key() -> str:
    return (f'{cpu_model()} | torch {torch.__version__} | engine '
            f'{torch.backends.quantized.engine} | {torch.get_num_threads()} thread(s)')


@dataclass
class FormChoice:
    """The chosen form, the median time of every candidate (ms) and where it came
    from: ``'timed'`` (measured now) or ``'cache'``."""
    choice: str
    timings_ms: Dict[str, float] = field(default_factory=dict)
    source: str = 'timed'

    def describe(self) -> str:
        times = ', '.join(f'{k} {v:.2f} ms' for k, v in self.timings_ms.items())
        return f'{self.choice} ({self.source}: {times})'


def _read_cache(path: str) -> Dict:
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # a missing or damaged cache is timed again and rewritten


def choose_fastest(candidates: Dict[str, Callable[[], object]], key: str,
                   cache: Union[str, bool, None] = None, reps: int = 7) -> FormChoice:
    """Time ``candidates`` (name -> a call running the form once) and return the fastest.

    Args:
        candidates: the equivalent forms; all of them must be correct here.
        key: what is timed (layer shapes and input size); the machine is added.
        cache: a JSON file, None for :func:`default_cache_file`, False for none.
        reps: timed repetitions (the median counts), after two warm-up calls.
    """
    if not candidates:
        raise ValueError('choose_fastest: no candidate forms')
    path = default_cache_file() if cache is None else cache
    full_key = f'{machine_key()} | {key}'
    if path:
        entry = _read_cache(path).get(full_key)
        if (isinstance(entry, dict) and entry.get('choice') in candidates
                and set(entry.get('timings_ms', {})) == set(candidates)):
            return FormChoice(entry['choice'], dict(entry['timings_ms']), 'cache')
    with torch.no_grad():
        times = timeit(candidates, reps, warmup=2, block=2)
    medians = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    result = FormChoice(min(medians, key=medians.get), medians, 'timed')
    if path:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        data = _read_cache(path)
        data[full_key] = dict(choice=result.choice, timings_ms=medians)
        atomic_write_bytes(json.dumps(data, indent=1, sort_keys=True).encode(), path)
    return result


def exact_candidates(forms, direct_is_exact: bool):
    """The forms worth timing: every one of ``forms`` except ``'direct'`` where the plain
    int8 kernels can saturate on this CPU."""
    return [f for f in forms if f != 'direct' or direct_is_exact]


def describe_forms(what: str, forms, choices: Dict[str, FormChoice]) -> str:
    """``'<what>: float x16; <key>: float (timed: ...)'``: each form's count and the timings
    behind the choices."""
    counts = {f: list(forms).count(f) for f in dict.fromkeys(forms)}
    text = f'{what}: ' + ', '.join(f'{f} x{n}' for f, n in counts.items())
    return text + ''.join(f'; {key}: {choice.describe()}' for key, choice in choices.items())
