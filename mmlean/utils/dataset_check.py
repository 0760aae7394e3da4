"""Datasets at the boundary: missing or unreadable data fails in one line.

``tools/train.py`` and ``tools/test.py`` call :func:`check_dataset_paths` before
the run (the paths a config names must exist) and run inside
:func:`dataset_errors_in_one_line` (a dataset that cannot be built, a corrupt
file, a wrong layout): either way the user reads the config, the field, the
path, the dataset type and the layout that type expects, not a traceback.
"""
import contextlib
import copy
import os
import os.path as osp
from typing import Any, Iterator, Optional, Tuple

from .config import ConfigError


class DatasetError(ConfigError):
    """A dataset named by a config is missing or unreadable; the message says why."""


_CROWD_LAYOUTS = {
    'shanghaitech': 'ShanghaiTech (part_A or part_B): <data_root>/{train,test}_data/images/'
                    'IMG_<n>.jpg and <data_root>/{train,test}_data/ground-truth/GT_IMG_<n>.mat',
    'ucf_qnrf': 'UCF-QNRF: <data_root>/{Train,Test}/img_<nnnn>.jpg with img_<nnnn>_ann.mat '
                '(annPoints)',
    'ucf_cc_50': 'UCF_CC_50: <data_root>/<n>.jpg with <n>_ann.mat (annPoints)',
}

# What each dataset type expects on disk (the "layout" of the one-line errors).
DATASET_FORMATS = {
    'CIFAR10': 'the CIFAR-10 python version: <data_root>/cifar-10-batches-py/'
               '{data_batch_1..5, test_batch, batches.meta} (the folder that '
               'cifar-10-python.tar.gz unpacks to)',
    'CIFAR100': 'the CIFAR-100 python version: <data_root>/cifar-100-python/'
                '{train, test, meta}',
    'MNIST': 'MNIST: <data_root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte (the '
             'unpacked .gz files)',
    'ImageNet': 'ImageNet: <data_root>/train/<wnid>/*.JPEG, <data_root>/val/*.JPEG and the '
                'lists <data_root>/meta/{train,val}.txt ("<path> <class index>" per line)',
    'CocoDataset': 'COCO: an instances json (<data_root>/<ann_file>) and the images under '
                   '<data_root>/<data_prefix.img>',
    'VOCDataset': 'VOC: <data_root>/VOC2007/{Annotations,ImageSets/Main,JPEGImages} '
                  '(VOC2012 alike)',
    'BasicImageDataset': 'image folders for super-resolution: <data_root>/<data_prefix.gt> '
                         '(ground truth) and <data_root>/<data_prefix.img> (low resolution, '
                         'same names), plus <data_root>/<ann_file> when one is set (DIV2K: '
                         'meta_info_DIV2K800sub_GT.txt)',
    'TinyPersonDataset': 'TinyPerson (TinyBenchmark layout): the annotation json '
                         '(<data_root>/<ann_file>; tile files are made by '
                         'tools/dataset_converters/tinyperson_cut.py) and the images under '
                         '<data_root>/<data_prefix.img>',
    'DigitsDataset': "scikit-learn's digits (installed with scikit-learn; no files)",
}

_CIFAR_FOLDERS = {'CIFAR10': 'cifar-10-batches-py', 'CIFAR100': 'cifar-100-python'}
_WRAPPERS = ('dataset', 'datasets')


def dataset_format(ds: dict) -> str:
    """The on-disk layout a dataset config expects, in words."""
    ds_type = _short_type(ds)
    if ds_type == 'CrowdCountingDataset':
        layout = ds.get('layout', 'shanghaitech')
        return _CROWD_LAYOUTS.get(layout, f'a crowd-counting layout ({layout!r})')
    return DATASET_FORMATS.get(ds_type, f'the files of a {ds_type} dataset')


def _short_type(ds: Any) -> str:
    return str(ds.get('type', '?')).split('.')[-1] if isinstance(ds, dict) else \
        type(ds).__name__


def _innermost(ds: Any) -> Any:
    while isinstance(ds, dict) and ('dataset' in ds or 'datasets' in ds):
        inner = ds.get('dataset', None) or (ds.get('datasets') or [None])[0]
        if not isinstance(inner, dict):
            break
        ds = inner
    return ds


def _leaf_datasets(field: str, ds: Any) -> Iterator[Tuple[str, dict]]:
    if not isinstance(ds, dict):
        return
    if isinstance(ds.get('dataset'), dict):
        yield from _leaf_datasets(f'{field}.dataset', ds['dataset'])
    if isinstance(ds.get('datasets'), (list, tuple)):
        for i, sub in enumerate(ds['datasets']):
            yield from _leaf_datasets(f'{field}.datasets.{i}', sub)
    if 'dataset' not in ds and 'datasets' not in ds:
        yield field, ds


def dataloader_cfgs(cfg) -> Iterator[Tuple[str, dict]]:
    """``(field, dataloader cfg)`` of every dataloader a run uses: the runner's three
    (each a dict, or a list of dicts for mmagic's multi-set test loops) and those the
    loops build themselves (``train_cfg.mutator_dataloader``, ``eval_dataloader``, ...)."""
    def entries(field, value):
        if isinstance(value, dict) and isinstance(value.get('dataset'), dict):
            yield field, value
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, dict) and isinstance(item.get('dataset'), dict):
                    yield f'{field}.{i}', item

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        yield from entries(loader, cfg.get(loader))
    for loop in ('train_cfg', 'val_cfg', 'test_cfg'):
        loop_cfg = cfg.get(loop)
        if isinstance(loop_cfg, dict):
            for key, value in loop_cfg.items():
                if str(key).endswith('dataloader'):
                    yield from entries(f'{loop}.{key}', value)


def _missing(path: str) -> bool:
    return bool(path) and '://' not in path and not osp.exists(path)


def _required_files(ds_type: str, ds: dict, data_root: str) -> Iterator[Tuple[str, str]]:
    """(field, path) of files a dataset type needs beyond its configured paths."""
    if ds_type in _CIFAR_FOLDERS:
        yield 'data_root', osp.join(data_root, _CIFAR_FOLDERS[ds_type])
    elif ds_type == 'MNIST':
        prefix = 't10k' if ds.get('test_mode', False) else 'train'
        for part in ('images-idx3-ubyte', 'labels-idx1-ubyte'):
            yield 'data_root', osp.join(data_root, f'{prefix}-{part}')
    elif ds_type == 'CrowdCountingDataset':
        layout, split = ds.get('layout', 'shanghaitech'), ds.get('split', 'train')
        if layout == 'shanghaitech' and split in ('train', 'test'):
            yield 'data_root', osp.join(data_root, f'{split}_data', 'images')
            yield 'data_root', osp.join(data_root, f'{split}_data', 'ground-truth')
        elif layout == 'ucf_qnrf' and split in ('train', 'test'):
            yield 'data_root', osp.join(data_root, split.capitalize())


def check_dataset_paths(cfg, config_path: str = '<config>',
                        loaders: Tuple[str, ...] = ('train_dataloader', 'val_dataloader',
                                                    'test_dataloader', 'train_cfg')) -> None:
    """Fail early, naming the field, the path, the dataset type and its expected layout,
    when a path a dataset needs does not exist (``data_root``, ``ann_file``, the
    ``data_prefix`` folders, and the files each known type reads).

    Args:
        loaders: prefixes of the dataloader fields to check (``'train_cfg'``: the
            dataloaders the training loop builds itself).

    Raises:
        DatasetError: a path is missing.
    """
    for loader_field, loader in dataloader_cfgs(cfg):
        if not loader_field.startswith(loaders):
            continue
        for field, ds in _leaf_datasets(f'{loader_field}.dataset', loader['dataset']):
            ds_type = _short_type(ds)
            data_root = ds.get('data_root') or ''

            def fail(key, path):
                raise DatasetError(f'{config_path}: {field}.{key} = {path!r} does not exist. '
                                   f'{ds_type} expects {dataset_format(ds)}.')

            if _missing(data_root):
                fail('data_root', data_root)
            for key, path in _required_files(ds_type, ds, data_root):
                if _missing(path):
                    fail(key, path)
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


def _field_of(cfg, loader: dict) -> Optional[str]:
    for field, candidate in dataloader_cfgs(cfg):
        if candidate == loader:
            return field
    return None


@contextlib.contextmanager
def dataset_errors_in_one_line(cfg, config_path: str = '<config>'):
    """Within the block, a dataset that fails to build (``Runner.build_dataloader``, which
    the runner and the training loops call) raises :class:`DatasetError` naming the
    config, the field, the dataset type, its ``data_root`` and the expected layout, with
    the reader's own message. ``MMLEAN_TRACEBACK=1`` keeps the original exception."""
    from mmengine.registry import DATASETS
    from mmengine.runner import Runner
    original = Runner.__dict__['build_dataloader']
    build = original.__func__ if isinstance(original, staticmethod) else original

    def build_dataloader(dataloader, *args, **kwargs):
        if isinstance(dataloader, dict) and isinstance(dataloader.get('dataset'), dict) \
                and not os.environ.get('MMLEAN_TRACEBACK'):
            field = _field_of(cfg, dataloader) or 'a dataloader'
            ds_cfg = dataloader['dataset']
            try:
                dataset = DATASETS.build(ds_cfg)
                if hasattr(dataset, 'full_init'):
                    dataset.full_init()
            except Exception as err:  # the readers raise many types; all end here
                inner = _innermost(ds_cfg)
                message = ' '.join(str(err).split()).rstrip('.') or type(err).__name__
                where = ''.join(f', {key} {inner[key]!r}' for key in ('data_root', 'ann_file')
                                if isinstance(inner, dict) and inner.get(key))
                raise DatasetError(
                    f'{config_path}: {field}.dataset ({_short_type(inner)}{where}) '
                    f'cannot be read: {type(err).__name__}: {message}. '
                    f'{_short_type(inner)} expects {dataset_format(inner)}.') from err
            dataloader = copy.copy(dataloader)
            dataloader['dataset'] = dataset
        return build(dataloader, *args, **kwargs)

    Runner.build_dataloader = staticmethod(build_dataloader)
    try:
        yield
    finally:
        Runner.build_dataloader = original
