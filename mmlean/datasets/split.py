"""A fixed share of a dataset: the train / architecture split of differentiable NAS."""
import math
from typing import Union

from mmengine.registry import DATASETS
from torch.utils.data import Dataset


@DATASETS.register_module()
class SplitDataset(Dataset):
    """The first ``train_portion`` of a dataset (``part='train'``) or the rest (``'val'``).

    DARTS (Liu et al., ICLR 2019, official ``cnn/train_search.py``) and PC-DARTS search on
    the CIFAR-10 training set cut in two: the first ``floor(train_portion * N)`` images
    train the weights, the remaining ones the architecture parameters. Given as a share
    instead of an image count, the split follows the dataset a user points the config at
    (the full set, a subset, a mini set in a test) and the two parts never overlap.

    Registered in mmengine's root ``DATASETS`` (it wraps any codebase's dataset).

    Args:
        dataset (dict | Dataset): the dataset to split (a config is built in the current
            scope).
        train_portion (float): share of the first part, in (0, 1). Defaults to 0.5.
        part (str): ``'train'`` (the first part) or ``'val'`` (the rest).
        lazy_init (bool): defer loading the wrapped dataset's annotations.
    """

    PARTS = ('train', 'val')

    def __init__(self, dataset: Union[dict, Dataset], train_portion: float = 0.5,
                 part: str = 'train', lazy_init: bool = False):
        if not 0.0 < float(train_portion) < 1.0:
            raise ValueError(f'SplitDataset: train_portion must be in (0, 1), got {train_portion}')
        if part not in self.PARTS:
            raise ValueError(f'SplitDataset: part must be one of {self.PARTS}, got {part!r}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.train_portion, self.part = float(train_portion), part
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        total = len(self.dataset)
        cut = int(math.floor(self.train_portion * total))
        self._indices = range(0, cut) if self.part == 'train' else range(cut, total)
        if len(self._indices) == 0:
            raise ValueError(f'SplitDataset: the {self.part!r} part of a dataset of {total} '
                             f'items at train_portion {self.train_portion} is empty')
        self._fully_initialized = True

    def get_data_info(self, idx: int) -> dict:
        self.full_init()
        return self.dataset.get_data_info(self._indices[idx])

    def __len__(self) -> int:
        self.full_init()
        return len(self._indices)

    def __getitem__(self, idx: int):
        self.full_init()
        return self.dataset[self._indices[idx]]
