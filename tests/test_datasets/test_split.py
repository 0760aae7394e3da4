"""SplitDataset: DARTS's train / architecture split of a training set, by share."""
import pytest
from mmengine.dataset import BaseDataset

from mmlean.datasets import SplitDataset


class Numbers(BaseDataset):
    def __init__(self, n, **kwargs):
        self.n = n
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(value=i) for i in range(self.n)]


@pytest.mark.parametrize('n, portion', [(50000, 0.5), (7, 0.5), (10, 0.3), (3, 0.9)])
def test_parts_are_disjoint_complete_and_floor_as_darts(n, portion):
    first = SplitDataset(Numbers(n), train_portion=portion, part='train')
    rest = SplitDataset(Numbers(n), train_portion=portion, part='val')
    cut = int(portion * n)  # official train_search.py: split = int(np.floor(portion * n))
    assert [first.get_data_info(i)['value'] for i in range(len(first))] == list(range(cut))
    assert [rest[i]['value'] for i in range(len(rest))] == list(range(cut, n))


def test_bad_arguments_and_empty_parts():
    with pytest.raises(ValueError, match='train_portion'):
        SplitDataset(Numbers(4), train_portion=1.0)
    with pytest.raises(ValueError, match='part'):
        SplitDataset(Numbers(4), part='test')
    with pytest.raises(ValueError, match='empty'):
        SplitDataset(Numbers(1), train_portion=0.5, part='train')


def test_builds_a_config_in_the_current_scope():
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmpretrain')
    split = DATASETS.build(dict(type='SplitDataset', train_portion=0.5, part='val',
                                dataset=dict(type='DigitsDataset', split='test')))
    assert len(split) == 360 - 180 and split.metainfo['classes'][0] == '0'
