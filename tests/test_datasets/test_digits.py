import numpy as np
import pytest

from mmlean.datasets import DigitsDataset


def test_split_is_stratified_disjoint_and_complete():
    train = DigitsDataset(split='train')
    test = DigitsDataset(split='test')
    full = DigitsDataset(split='all')
    assert len(full) == 1797
    assert len(train) + len(test) == 1797
    assert abs(len(test) - 0.2 * 1797) <= 10
    y_test = np.array([test.get_data_info(i)['gt_label'] for i in range(len(test))])
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
    def labels(ds):
        return [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]

    a = labels(DigitsDataset(split='test', seed=0))
    b = labels(DigitsDataset(split='test', seed=0))
    c = labels(DigitsDataset(split='test', seed=1))
    assert a == b and a != c


@pytest.mark.parametrize('kwargs, match', [
    (dict(split='val'), "split must be"),
    (dict(test_ratio=1.5), 'test_ratio'),
    (dict(channels=2), 'channels'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DigitsDataset(**kwargs)
