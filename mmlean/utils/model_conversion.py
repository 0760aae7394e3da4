"""Shared steps of the converters of released (official) checkpoints into mmlean.

A converter (``tools/model_converters/<method>_official.py``) reads the
official file with the weights-only loader, maps its keys, and hands the
result to :func:`check_against_model` and :func:`save_converted`: every key
and shape is checked against the mmlean model built from the matching config
(missing and unexpected keys are listed in one line), and the mmengine
checkpoint written names the source file and its sha256 in ``meta``.
"""
import hashlib
import io
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, Mapping, Optional, Sequence

import torch


class ConversionError(ValueError):
    """An official checkpoint does not match what the converter expects."""


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def read_official(path: str, extra_globals: Sequence = ()) -> object:
    """The official file, loaded with ``weights_only=True`` (the allow-list of
    ``mmlean.compat.checkpoint`` plus ``extra_globals``); anything else is refused,
    naming the object (:class:`~mmlean.compat.checkpoint.CheckpointSecurityError`)."""
    from mmlean.compat.checkpoint import safe_load
    if not osp.isfile(path):
        raise ConversionError(f'official checkpoint not found: {path}')
    return safe_load(path, extra_globals=extra_globals)


def find_state_dict(obj: object, path: str,
                    keys: Iterable[str] = ('state_dict', 'model')) -> 'OrderedDict':
    """The state dict inside a loaded file (under one of ``keys``, or the file itself),
    with a DataParallel ``module.`` prefix removed."""
    state = obj
    if isinstance(obj, Mapping):
        for key in keys:
            if isinstance(obj.get(key), Mapping):
                state = obj[key]
                break
    if not isinstance(state, Mapping) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        found = sorted(obj)[:8] if isinstance(obj, Mapping) else type(obj).__name__
        raise ConversionError(f'{path}: no state dict of tensors found (looked under '
                              f'{list(keys)} and at the top level; the file has {found})')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state.items())


def build_model(config: str, cfg_options: Optional[dict] = None):
    """The mmlean model of ``config`` (as the Runner builds it: the config's
    ``data_preprocessor`` joins the model), in eval mode."""
    from mmengine.registry import MODELS, init_default_scope

    from mmlean.utils.config import load_config
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = dict(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return cfg, MODELS.build(model_cfg).eval()


def listed_keys(keys, limit=8):
    """Up to ``limit`` of ``keys``, sorted, comma-separated, and how many more."""
    keys = sorted(keys)
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def check_against_model(converted: Mapping[str, torch.Tensor],
                        reference: Mapping[str, torch.Tensor], source: str) -> None:
    """Every key of ``reference`` (the mmlean model's state dict) present in ``converted``
    with the same shape, and nothing else.

    Raises:
        ConversionError: naming the missing, unexpected and mis-shaped keys.
    """
    missing = set(reference) - set(converted)
    unexpected = set(converted) - set(reference)
    shapes = [f'{k} {tuple(converted[k].shape)} vs {tuple(reference[k].shape)}'
              for k in sorted(set(reference) & set(converted))
              if tuple(converted[k].shape) != tuple(reference[k].shape)]
    problems = []
    if missing:
        problems.append(f'missing {len(missing)} key(s): {listed_keys(missing)}')
    if unexpected:
        problems.append(f'unexpected {len(unexpected)} key(s): {listed_keys(unexpected)}')
    if shapes:
        problems.append(f'{len(shapes)} shape mismatch(es) (converted vs model): '
                        + '; '.join(shapes[:5]))
    if problems:
        raise ConversionError(f'{source}: does not fit the mmlean model: ' + '; '.join(problems))


def save_converted(state_dict: Mapping[str, torch.Tensor], dst: str, source: str,
                   config: str, extra_meta: Optional[Dict] = None,
                   entries: Optional[Dict] = None) -> Dict:
    """Write ``{'meta', 'state_dict'}`` (an mmengine checkpoint; tensors, strings and numbers
    only: it loads with ``weights_only=True``) and any further top-level ``entries``
    atomically; returns the meta."""
    from mmlean.compat.atomic_write import atomic_write_bytes
    meta = dict(source=osp.abspath(source), source_sha256=file_sha256(source),
                config=config, converter='mmlean', **(extra_meta or {}))
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=OrderedDict(
        (k, v.detach().to('cpu').clone()) for k, v in state_dict.items()), **(entries or {})),
        buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    return meta


def converter_parser(doc: str, archs: Iterable[str], src_help: str):
    """The shared command line of ``tools/model_converters/<method>_official.py``:
    ``SRC DST --arch NAME``, the script's docstring as description and epilog."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=doc.split('\n\n', 1)[1])
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help='mmlean checkpoint to write (.pth)')
    parser.add_argument('--arch', required=True, choices=sorted(archs))
    return parser


def run_converter(script: str, args, convert) -> int:
    """Call ``convert()`` and report in one line: the written file, or the error (exit 2)."""
    import sys

    import mmlean  # noqa: F401  (mmlean.compat)
    from mmlean.compat.checkpoint import CheckpointError, CheckpointSecurityError
    from mmlean.utils.config import ConfigError
    try:
        meta = convert()
    except (ConversionError, ConfigError, CheckpointError, CheckpointSecurityError) as err:
        print(f'{script}: error: {err}', file=sys.stderr)
        return 2
    print(f'{args.src} -> {args.dst} ({args.arch}; config {meta["config"]})')
    return 0
