"""Load and validate configs at the boundary, with one clear line per error.

Used by tools/train.py and tools/test.py: a missing config, a failing
``custom_imports`` or a ``--cfg-options`` key that does not exist (a typo) is
reported naming the file, the field and what was expected, instead of failing
deep inside a run (datasets: :mod:`mmlean.utils.dataset_check`).
"""
import difflib
import importlib
import logging
import os.path as osp
from typing import Any, Dict, Iterator, Optional, Tuple

from mmengine.config import Config


class ConfigError(ValueError):
    """A config (or an option given for it) is unusable; the message says why."""


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """``Config.fromfile`` with boundary checks.

    Raises:
        ConfigError: the file is missing or fails to parse, a custom import
            fails, or a ``cfg_options`` key has no parent in the config or
            looks like a typo of an existing key.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path, import_custom_modules=False)
    except (SyntaxError, NameError, KeyError, FileNotFoundError, ImportError) as err:
        raise ConfigError(f'{path}: cannot parse the config: '
                          f'{type(err).__name__}: {err}') from None
    import_custom_modules(cfg, path)
    if cfg_options:
        for key in cfg_options:
            _check_option_key(cfg, key, path)
        cfg.merge_from_dict(propagate_variable_options(cfg, cfg_options))
    return cfg


# where the class of a config part (its ``type``) is looked up
_TYPE_REGISTRIES = ('LOOPS', 'HOOKS', 'DATASETS', 'TRANSFORMS', 'MODELS', 'OPTIMIZERS',
                    'PARAM_SCHEDULERS', 'METRICS', 'DATA_SAMPLERS', 'OPTIM_WRAPPERS')


def _type_accepts(node: Any, arg: str, default_scope: Optional[str]) -> bool:
    """Whether the class named by ``node['type']`` takes a keyword argument ``arg``."""
    import inspect

    import mmengine.registry as registries
    name = node.get('type') if isinstance(node, dict) else None
    if not isinstance(name, str):
        return False
    names = [name] if '.' in name or not default_scope else [f'{default_scope}.{name}', name]
    for registry_name in _TYPE_REGISTRIES:
        registry = getattr(registries, registry_name)
        for candidate in names:
            try:
                cls = registry.get(candidate)
            except Exception:  # an unknown scope prefix
                cls = None
            if cls is None:
                continue
            try:
                params = inspect.signature(cls).parameters
            except (TypeError, ValueError):
                return False
            return arg in params
    return False


# top-level strings the runner reads itself: never propagated to equal strings elsewhere
_RUNNER_STRINGS = ('default_scope', 'work_dir', 'experiment_name', 'launcher', 'log_level',
                   'load_from', 'resume', 'runner_type')


def _walk(node: Any, path: Tuple = ()) -> Iterator[Tuple[Tuple, Any]]:
    """Yield ``(path, value)`` for every value nested in dicts and lists."""
    items = (node.items() if isinstance(node, dict) else
             enumerate(node) if isinstance(node, (list, tuple)) else ())
    for key, value in items:
        yield path + (key, ), value
        yield from _walk(value, path + (key, ))


def _get(node: Any, parts) -> Any:
    for part in parts:
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
    return node


def _is_path(value: Any) -> bool:
    return isinstance(value, str) and '/' in value and '://' not in value


def _under(value: Any, root: str) -> bool:
    if not isinstance(value, str):
        return False
    return value == root or value.startswith(root if root.endswith('/') else root + '/')


def propagate_variable_options(cfg: Config, options: Dict[str, Any]) -> Dict[str, Any]:
    """Make an override of a config *variable* reach the places the config copied it to.

    A Python config is evaluated once: ``data_root = 'data/cifar10'`` is copied into
    every dataset that uses it, ``pretrained = '...'`` into an ``init_cfg``, and
    ``train_cfg = dict(mutator_dataloader=mutator_dataloader)`` copies a dataloader.
    mmengine's ``--cfg-options`` then only changes the top-level name, and the run
    silently keeps the copies. Here an option whose top-level key is such a variable
    also goes to its copies:

    * a string (``data_root=DIR``, ``pretrained=FILE``): every string in the config equal
      to the old value is replaced, and, when the old value is a path, every string under
      it (``old/...``) has that prefix replaced, so datasets, their annotation files and
      the evaluators' ``ann_file`` all move;
    * anything else (``mutator_dataloader.dataset.indices=...``, ``train_portion=0.3``):
      every field *of the same name* that held an equal value gets the same override.

    Keys the runner reads itself (``default_scope``, ``work_dir``, ``load_from``, ...) are
    not propagated. Returns the options extended by the copies' keys (the user's own keys
    win).
    """
    data = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg
    extra: Dict[str, Any] = {}
    for key, value in options.items():
        parts = key.split('.')
        top = parts[0]
        if top not in data or top in _RUNNER_STRINGS:
            continue
        old = data[top]
        for path, found in _walk(data):
            if path[0] == top:  # the variable itself: the user's option sets it
                continue
            dotted = '.'.join(str(p) for p in path)
            if len(parts) == 1 and isinstance(old, str) and old and isinstance(found, str):
                if found == old:
                    extra[dotted] = value
                elif _is_path(old) and _under(found, old) and isinstance(value, str):
                    extra[dotted] = value + found[len(old):]
            elif path[-1] == top and found == old:
                extra['.'.join([dotted] + parts[1:])] = value
    for key in list(extra):
        if key in options or any(key.startswith(k + '.') for k in options):
            del extra[key]
    if extra:
        from mmengine.logging import print_log
        print_log('--cfg-options also set, where the config copied the variable: ' +
                  ', '.join(f'{k}={v!r}' for k, v in sorted(extra.items())),
                  logger='current', level=logging.INFO)
    return {**extra, **options}


def import_custom_modules(cfg: Config, path: str = '<config>') -> None:
    """Import ``cfg.custom_imports`` and report a failure in one line."""
    custom = cfg.get('custom_imports')
    if not custom:
        return
    names = custom.get('imports', [])
    if isinstance(names, str):
        names = [names]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as err:
            if custom.get('allow_failed_imports', False):
                from mmengine.logging import print_log
                print_log(f'{path}: custom_imports: {name!r} skipped: {err}',
                          logger='current', level=logging.WARNING)
                continue
            raise ConfigError(f'{path}: custom_imports: cannot import {name!r}: '
                              f'{err}') from None


def _check_option_key(cfg: Config, key: str, path: str) -> None:
    node: Any = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg
    parts = key.split('.')
    for depth, part in enumerate(parts):
        is_leaf = depth == len(parts) - 1
        where = '.'.join(parts[:depth]) or '<top level>'
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f'--cfg-options {key}: {where} is a list of '
                                  f'{len(node)} items; {part!r} is not an index in it '
                                  f'(config {path})')
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f'--cfg-options {key}: {where} is a '
                              f'{type(node).__name__}, not a dict (config {path})')
        if part not in node:
            close = difflib.get_close_matches(part, [str(k) for k in node], n=3)
            if is_leaf and close and _type_accepts(node, part, cfg.get('default_scope')):
                return  # a real argument of the part's class that the config leaves default
            if not is_leaf or close:
                hint = f'; did you mean {", ".join(close)}?' if close else ''
                raise ConfigError(f'--cfg-options {key}: {where} has no key '
                                  f'{part!r}{hint} (config {path})')
            return  # a new leaf with no similar existing key: allowed
        node = node[part]
