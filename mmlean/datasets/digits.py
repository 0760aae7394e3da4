"""scikit-learn's handwritten digits as an mmpretrain classification dataset."""
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 1,797 8x8 handwritten digits that ship with scikit-learn.

    Real data that needs no download, for demos and learning tests. Images are
    scaled from 0..16 to 0..255, resized to ``image_size`` (bilinear) and
    repeated to ``channels``, so CIFAR-style pipelines and backbones apply.
    The split is stratified and fixed by ``seed``: ``test_ratio`` of each class
    is held out as 'test', the rest is 'train'; 'all' returns everything.

    Args:
        split (str): 'train', 'test' or 'all'. Defaults to 'train'.
        test_ratio (float): share held out for 'test'. Defaults to 0.2.
        seed (int): seed of the split. Defaults to 0.
        image_size (int): output side in pixels. Defaults to 32.
        channels (int): 1 or 3. Defaults to 3.
        **kwargs: passed to mmpretrain's ``BaseDataset`` (pipeline, test_mode...).
    """
    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self, split: str = 'train', test_ratio: float = 0.2,
                 seed: int = 0, image_size: int = 32, channels: int = 3,
                 **kwargs):
        if split not in ('train', 'test', 'all'):
            raise ValueError(f"DigitsDataset split must be 'train', 'test' or "
                             f"'all', got {split!r}")
        if not 0.0 < test_ratio < 1.0:
            raise ValueError(f'DigitsDataset test_ratio must be in (0, 1), '
                             f'got {test_ratio}')
        if channels not in (1, 3):
            raise ValueError(f'DigitsDataset channels must be 1 or 3, got {channels}')
        self.split = split
        self.test_ratio = test_ratio
        self.seed = seed
        self.image_size = image_size
        self.channels = channels
        kwargs.setdefault('ann_file', '')
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        import cv2
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        images = np.clip(digits.images * (255.0 / 16.0), 0, 255).astype(np.uint8)
        labels = digits.target.astype(np.int64)
        index = np.arange(len(labels))
        if self.split != 'all':
            train_idx, test_idx = train_test_split(
                index, test_size=self.test_ratio, random_state=self.seed,
                stratify=labels)
            index = np.sort(train_idx if self.split == 'train' else test_idx)
        data_list = []
        for i in index:
            img = cv2.resize(images[i], (self.image_size, self.image_size),
                             interpolation=cv2.INTER_LINEAR)
            img = np.repeat(img[:, :, None], self.channels, axis=2)
            data_list.append(dict(img=img, gt_label=int(labels[i])))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Image size: \t{self.image_size}']
