"""Load and validate configs at the boundary, with one clear line per error.

Used by tools/train.py and tools/test.py: a missing config, a failing
``custom_imports``, a ``--cfg-options`` key that does not exist (a typo) or a
dataset path that does not exist is reported naming the file, the field and
what was expected, instead of failing deep inside a run.
"""
import difflib
import importlib
import logging
import os.path as osp
from typing import Any, Dict, Iterator, Optional, Tuple

from mmengine.config import Config


class ConfigError(ValueError):
    """A config (or an option given for it) is unusable; the message says why."""


# What each dataset type expects on disk (shown when a path is missing).
DATASET_FORMATS = {
    'CIFAR10': 'the CIFAR-10 python version: <data_root>/cifar-10-batches-py/'
               '{data_batch_1..5, test_batch, batches.meta} (the folder that '
               'cifar-10-python.tar.gz unpacks to)',
    'CIFAR100': 'the CIFAR-100 python version: <data_root>/cifar-100-python/'
                '{train, test, meta}',
    'ImageNet': 'ImageNet folders: <data_root>/train/<wnid>/*.JPEG and '
                '<data_root>/val/<wnid>/*.JPEG (or meta/{train,val}.txt '
                'annotation lists)',
    'CocoDataset': 'COCO: an instances json (ann_file) and the images under '
                   'data_prefix.img',
    'VOCDataset': 'VOC: <data_root>/VOC2007/{Annotations,ImageSets/Main,'
                  'JPEGImages}',
    'BasicImageDataset': 'image folders for super-resolution: '
                         '<data_root>/<data_prefix.gt> with the ground-truth '
                         'images and <data_root>/<data_prefix.img> with the '
                         'low-resolution ones (same file names)',
    'TinyPersonDataset': 'TinyPerson: the annotation json '
                         '(tiny_set_train.json / tiny_set_test.json or the '
                         'cut *_640_512 jsons) and the images under '
                         'data_prefix.img',
}

_CIFAR_FOLDERS = {'CIFAR10': 'cifar-10-batches-py', 'CIFAR100': 'cifar-100-python'}


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
        cfg.merge_from_dict(cfg_options)
    return cfg


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
            if not is_leaf or close:
                hint = f'; did you mean {", ".join(close)}?' if close else ''
                raise ConfigError(f'--cfg-options {key}: {where} has no key '
                                  f'{part!r}{hint} (config {path})')
            return  # a new leaf with no similar existing key: allowed
        node = node[part]


def _dataset_cfgs(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """Yield (field, dataset cfg) for every dataset in the dataloaders."""

    def walk(field, ds):
        if not isinstance(ds, dict):
            return
        if 'dataset' in ds and isinstance(ds['dataset'], dict):
            yield from walk(f'{field}.dataset', ds['dataset'])
        if 'datasets' in ds and isinstance(ds['datasets'], (list, tuple)):
            for i, sub in enumerate(ds['datasets']):
                yield from walk(f'{field}.datasets.{i}', sub)
        if 'dataset' not in ds and 'datasets' not in ds:
            yield field, ds

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_cfg = cfg.get(loader)
        if isinstance(loader_cfg, dict) and isinstance(loader_cfg.get('dataset'), dict):
            yield from walk(f'{loader}.dataset', loader_cfg['dataset'])


def _missing(path: str) -> bool:
    return bool(path) and '://' not in path and not osp.exists(path)


def check_dataset_paths(cfg: Config, config_path: str = '<config>',
                        loaders: Tuple[str, ...] = ('train_dataloader',
                                                    'val_dataloader',
                                                    'test_dataloader')) -> None:
    """Fail early, naming the field, the path and the expected format, when a
    dataset's ``data_root``, ``ann_file`` or image folders do not exist.

    Raises:
        ConfigError: a path is missing.
    """
    for field, ds in _dataset_cfgs(cfg):
        if not field.startswith(loaders):
            continue
        ds_type = str(ds.get('type', '?')).split('.')[-1]
        fmt = DATASET_FORMATS.get(ds_type, f'the files of a {ds_type} dataset')
        data_root = ds.get('data_root') or ''

        def fail(key, path):
            raise ConfigError(
                f'{config_path}: {field}.{key} = {path!r} does not exist. '
                f'{ds_type} expects {fmt}.')

        if _missing(data_root):
            fail('data_root', data_root)
        if ds_type in _CIFAR_FOLDERS:
            folder = osp.join(data_root, _CIFAR_FOLDERS[ds_type])
            if _missing(folder):
                fail('data_root', folder)
        ann_file = ds.get('ann_file') or ''
        if isinstance(ann_file, str) and ann_file:
            full = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
            if _missing(full):
                fail('ann_file', full)
        prefix = ds.get('data_prefix')
        prefixes = prefix.items() if isinstance(prefix, dict) else (
            [('', prefix)] if isinstance(prefix, str) else [])
        for name, sub in prefixes:
            if isinstance(sub, str) and sub:
                full = sub if osp.isabs(sub) else osp.join(data_root, sub)
                if _missing(full):
                    fail('data_prefix' + (f'.{name}' if name else ''), full)
