import numpy as np
import pytest

from mmlean.datasets import DigitsDataset


def test_split_is_stratified_disjoint_and_complete():
    train = DigitsDataset(split='train', lazy_init=False)
    test = DigitsDataset(split='test')
    full = DigitsDataset(split='all')
    assert len(full) == 1797
    assert len(train) + len(test) == 1797
    assert abs(len(test) - 0.2 * 1797) <= 10
    y_test = np.array([d['gt_label'] for d in test.data_list])
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38  # ~20% of each ~180-image class


def test_images_are_resized_uint8_with_channels():
    ds = DigitsDataset(split='test', image_size=32, channels=3)
    img = ds.get_data_info(0)['img']
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    assert img.max() > 200  # 0..16 scaled to 0..255
    ds1 = DigitsDataset(split='test', image_size=16, channels=1)
    assert ds1.get_data_info(0)['img'].shape == (16, 16, 1)


def test_same_seed_same_split_other_seed_other_split():
    a = [d['gt_label'] for d in DigitsDataset(split='test', seed=0).data_list]
    b = [d['gt_label'] for d in DigitsDataset(split='test', seed=0).data_list]
    c = [d['gt_label'] for d in DigitsDataset(split='test', seed=1).data_list]
    assert a == b and a != c


@pytest.mark.parametrize('kwargs, match', [
    (dict(split='val'), "split must be"),
    (dict(test_ratio=1.5), 'test_ratio'),
    (dict(channels=2), 'channels'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DigitsDataset(**kwargs)
