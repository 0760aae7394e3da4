"""Every digits-on-photos config (configs/*/*digits-on-photos*.py) reads the photo proxy only:
several inherit a digits config for its network and schedule, and none may keep a digits
dataset or the digits' normalization anywhere in the resolved config. The bases' mean and
std are the test sets' own statistics."""
import glob
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PHOTO_CONFIGS = sorted(osp.relpath(p, osp.join(REPO, 'configs')) for p in glob.glob(
    osp.join(REPO, 'configs', '*', '*digits-on-photos*.py')))
BASES = {32: 'configs/_base_/datasets/digits_on_photos_bs64.py',
         16: 'configs/_base_/datasets/digits_on_photos16_bs64.py'}


def _walk(node, path=''):
    """(path, dict) of every dict in a config tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f'{path}[{i}]')


def _photo_normalization(node, photo):
    """The photo set's mean and std, in pixels or in [0, 1] units (the adversarial configs
    normalize inside the network), or the plain pixels -> [0, 1] scaling before it."""
    mean, std = np.asarray(node['mean'], float), np.asarray(node['std'], float)
    if mean.shape != (3, ) or std.shape != (3, ):
        return False
    return any(np.allclose(mean, m) and np.allclose(std, s) for m, s in (
        (photo.mean, photo.std), (np.divide(photo.mean, 255), np.divide(photo.std, 255)),
        ([0.0] * 3, [255.0] * 3)))


def test_the_photo_configs_are_found():
    assert len(PHOTO_CONFIGS) >= 20, PHOTO_CONFIGS


@pytest.mark.parametrize('config', PHOTO_CONFIGS)
def test_no_digits_key_leaks_into_a_photo_config(config):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', config)).to_dict()
    size = 16 if 'photos16' in config else 32
    base = Config.fromfile(osp.join(REPO, BASES[size]))
    datasets, preprocessors = 0, 0
    for path, node in _walk(cfg):
        kind = str(node.get('type', '')).split('.')[-1]
        assert kind != 'DigitsDataset', f'{config}: {path} is a digits dataset'
        if kind == 'DigitsOnPhotosDataset':
            datasets += 1
            assert node.get('image_size') == size, f'{config}: {path}.image_size'
        if 'mean' in node and 'std' in node:
            preprocessors += 1
            assert _photo_normalization(node, base.data_preprocessor), \
                f'{config}: {path} normalizes with {node["mean"]}, {node["std"]}'
        if kind == 'RandomCrop':  # the digits' augmentation; photo renders are fresh
            raise AssertionError(f'{config}: {path} crops the renders')
    assert datasets and preprocessors, config


@pytest.mark.parametrize('size', sorted(BASES))
def test_the_normalization_is_the_test_sets(size):
    from mmengine.config import Config

    from mmlean.datasets.digits_on_photos import render_split
    base = Config.fromfile(osp.join(REPO, BASES[size]))
    images, _ = render_split('test', 9, 2020, size)
    pixels = images.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(base.data_preprocessor.mean, pixels.mean(0), atol=0.06)
    np.testing.assert_allclose(base.data_preprocessor.std, pixels.std(0), atol=0.06)
