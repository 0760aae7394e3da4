"""Load mmengine checkpoints with ``torch.load(weights_only=True)``.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and mmengine
0.10.7 cannot resume its own checkpoints: they hold a ``message_hub`` of
``HistoryBuffer`` objects, numpy scalars and dtypes. Rather than falling back
to ``weights_only=False`` (which runs any code a stranger's checkpoint holds),
this module allow-lists exactly the types mmengine writes, and turns torch's
refusal of anything else into an error that names the file and the global.
"""
import collections
import functools
import os
import os.path as osp
import pickle
import re

import numpy as np
import torch

# The numpy helpers a pickled ndarray / numpy scalar refers to.
try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import _reconstruct, scalar


class CheckpointSecurityError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside mmlean's allow-list."""


class CheckpointError(ValueError):
    """A checkpoint file cannot be read: truncated, corrupt or not a checkpoint."""


def _history_buffer_cls():
    from mmengine.logging.history_buffer import HistoryBuffer
    return HistoryBuffer


def safe_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` inside checkpoints.

    ``HistoryBuffer`` pickles its registered statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. The real ``getattr`` is a gadget for
    running code from a pickle, so only those lookups are resolved.
    """
    history_buffer = _history_buffer_cls()
    # the defaults are registered lazily, by the first HistoryBuffer created
    allowed = {'min', 'max', 'current', 'mean'}
    allowed |= set(getattr(history_buffer, '_statistics_methods', {}))
    if obj is history_buffer and name in allowed:
        return getattr(obj, name)
    raise CheckpointSecurityError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer '
        f'statistics methods {sorted(allowed)} are allowed')


def allowed_globals() -> list:
    """Exactly the non-tensor types an mmengine checkpoint contains."""
    dtype_classes = []
    if hasattr(np, 'dtypes'):  # numpy >= 1.25: one class per concrete dtype
        dtype_classes = [
            getattr(np.dtypes, name) for name in dir(np.dtypes)
            if name.endswith('DType')
        ]
    else:
        dtype_classes = list({type(np.dtype(c)) for c in np.typecodes['All']})
    return [
        _history_buffer_cls(),
        _reconstruct,
        scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
        collections.Counter,  # MultiStepLR-style schedulers keep milestones in one
        collections.OrderedDict,
        (safe_getattr, 'builtins.getattr'),
    ]


def _describe(err: Exception) -> str:
    """The refused global(s) named in torch's weights-only error."""
    names = re.findall(r'GLOBAL ([\w.]+)', str(err))
    if names:
        return 'refused global(s): ' + ', '.join(dict.fromkeys(names))
    return 'torch said: ' + str(err).strip().splitlines()[0]


def _is_refusal(err: Exception) -> bool:
    """Whether torch refused a global (as opposed to failing to read the file)."""
    return isinstance(err, pickle.UnpicklingError) and 'GLOBAL' in str(err)


def _unreadable(filename, err: Exception) -> CheckpointError:
    first = (str(err).strip().splitlines() or [''])[0]
    reason = f'{type(err).__name__}: {first}' if first else type(err).__name__
    if len(reason) > 160:
        reason = reason[:157] + '...'
    return CheckpointError(f'cannot read checkpoint {filename!r}: the file is truncated or '
                           f'corrupt, or not a torch checkpoint ({reason})')


def _refused(filename, err: Exception) -> CheckpointSecurityError:
    return CheckpointSecurityError(
        f'refused to load checkpoint {filename!r}: it holds a pickled '
        'object outside the allow-list of mmlean.compat.checkpoint '
        '(torch.load(weights_only=True)). mmlean never loads such '
        'files with weights_only=False; re-save the checkpoint as a '
        f'plain state_dict. {_describe(err)}')


def _wrap_loader(load_fn):
    """Re-raise torch's refusals and read failures as one error naming the file."""

    @functools.wraps(load_fn)
    def load(filename, *args, **kwargs):
        try:
            return load_fn(filename, *args, **kwargs)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: B902 -- torch raises many types for bad files
            if _is_refusal(err):
                raise _refused(filename, err) from None
            raise _unreadable(filename, err) from None

    load.__mmlean_wrapped__ = True
    return load


def apply() -> bool:
    """Allow-list mmengine's checkpoint types and wrap its local loaders.

    Does nothing on torch < 2.4 (no ``add_safe_globals``). Returns whether
    anything was changed.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False
    torch.serialization.add_safe_globals(allowed_globals())
    from mmengine.runner.checkpoint import CheckpointLoader
    schemes = CheckpointLoader._schemes
    local = schemes.get('')
    if local is not None and not getattr(local, '__mmlean_wrapped__', False):
        schemes[''] = _wrap_loader(local)
    return True


def safe_load(path, map_location='cpu', extra_globals=()):
    """``torch.load`` a checkpoint with ``weights_only=True``.

    Args:
        path (str): the file.
        map_location: as for ``torch.load``. Defaults to 'cpu'.
        extra_globals (Sequence): further types this caller knows are safe.

    Raises:
        CheckpointSecurityError: the file holds an object outside the allow-list.
        CheckpointError: the file is truncated, corrupt or not a checkpoint.
        FileNotFoundError: the file does not exist.
    """
    with torch.serialization.safe_globals(list(extra_globals)):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: B902 -- torch raises many types for bad files
            if _is_refusal(err):
                raise _refused(path, err) from None
            raise _unreadable(path, err) from None


CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def resumable_checkpoints(work_dir: str) -> list:
    """``epoch_N.pth`` / ``iter_N.pth`` files of ``work_dir``, newest (largest N) first.

    The file named by mmengine's ``last_checkpoint`` pointer comes first when it
    exists (e.g. a checkpoint saved under another name).
    """
    found = []
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            match = CHECKPOINT_NAME.match(name)
            if match:
                found.append((int(match.group(2)), osp.join(work_dir, name)))
    paths = [p for _, p in sorted(found, reverse=True)]
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            last = f.read().strip()
        if last and osp.isfile(last):
            paths = [last] + [p for p in paths if osp.abspath(p) != osp.abspath(last)]
    return paths


def latest_readable_checkpoint(work_dir: str, log=print):
    """The newest checkpoint of ``work_dir`` that loads, or None when there is none.

    Unreadable newer ones (truncated, corrupt) are skipped with a message
    through ``log``; a refused (unsafe) checkpoint is an error, never skipped
    silently.

    Raises:
        CheckpointSecurityError: the newest loadable candidate is refused.
        CheckpointError: checkpoints exist but none of them can be read.
    """
    candidates = resumable_checkpoints(work_dir)
    skipped = []
    for path in candidates:
        try:
            safe_load(path)
        except CheckpointError as err:
            log(f'skipping {path}: {err}')
            skipped.append(path)
            continue
        if skipped:
            log(f'resuming from {path}, the newest intact checkpoint '
                f'({len(skipped)} newer one(s) unreadable)')
        return path
    if skipped:
        raise CheckpointError(f'--resume: none of the {len(skipped)} checkpoint(s) in '
                              f'{work_dir} can be read (newest: {skipped[0]})')
    return None
