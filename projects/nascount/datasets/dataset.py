"""Crowd-counting datasets (point annotations) on mmengine."""
import os
import os.path as osp
import re
from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS

from .readers import CountingFormatError, read_ann_points, read_shanghaitech_points

IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
LAYOUTS = ('shanghaitech', 'ucf_qnrf', 'ucf_cc_50')
SPLITS = ('train', 'test', 'all')


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', name)]


def _images(folder: str, what: str) -> List[str]:
    if not osp.isdir(folder):
        raise CountingFormatError(f'{folder}: image folder not found ({what})')
    names = sorted((n for n in os.listdir(folder) if n.lower().endswith(IMG_EXTS)),
                   key=_natural_key)
    if not names:
        raise CountingFormatError(f'{folder}: no images ({", ".join(IMG_EXTS)}) ({what})')
    return names


@DATASETS.register_module()
class CrowdCountingDataset(BaseDataset):
    """Images with head-point annotations, read from the released layouts.

    Registered in mmengine's root ``DATASETS``: crowd counting is a task of
    its own in no OpenMMLab codebase, so every config scope finds it. Each
    data info holds ``img_path``, ``ann_path``, ``gt_points`` (``(N, 2)``
    float32, x, y) and ``gt_count``; images are read by the pipeline
    (``LoadImageFromFile``), density maps made by ``GenerateDensityMap``.

    Layouts (``data_root`` is the folder named):

    * ``'shanghaitech'`` (MCNN, Zhang et al., CVPR 2016): ``part_A`` or
      ``part_B`` with ``{train,test}_data/images/IMG_<n>.jpg`` and
      ``{train,test}_data/ground-truth/GT_IMG_<n>.mat``;
    * ``'ucf_qnrf'`` (Idrees et al., ECCV 2018): ``UCF-QNRF_ECCV18`` with
      ``{Train,Test}/img_<n>.jpg`` and ``img_<n>_ann.mat``;
    * ``'ucf_cc_50'`` (Idrees et al., CVPR 2013): ``UCF_CC_50`` with
      ``<n>.jpg`` and ``<n>_ann.mat``. Its protocol is 5-fold
      cross-validation: the images, sorted by number, are cut into
      ``num_folds`` consecutive folds (1-10, 11-20, ...: the split most
      counting code uses; the dataset defines no official file list, so this is
      our choice); ``split='test'`` is fold ``fold`` and ``'train'`` the rest.

    The layout is checked at load: a missing folder, an image without its
    annotation file or a malformed ``.mat`` raises :class:`CountingFormatError`
    naming the file (and the field).

    Args:
        layout (str): one of ``'shanghaitech'``, ``'ucf_qnrf'``, ``'ucf_cc_50'``.
        split (str): ``'train'``, ``'test'`` or (UCF_CC_50 only) ``'all'``.
        fold (int): the UCF_CC_50 test fold, ``0 <= fold < num_folds``.
        num_folds (int): UCF_CC_50 folds. Defaults to 5.
        **kwargs: as mmengine's ``BaseDataset`` (``data_root``, ``pipeline``,
            ``indices``, ``test_mode``, ...).
    """

    METAINFO = dict(classes=('head', ))

    def __init__(self, layout: str = 'shanghaitech', split: str = 'train', fold: int = 0,
                 num_folds: int = 5, **kwargs):
        if layout not in LAYOUTS:
            raise ValueError(f'CrowdCountingDataset: layout must be one of {LAYOUTS}, '
                             f'got {layout!r}')
        if split not in SPLITS or (split == 'all' and layout != 'ucf_cc_50'):
            raise ValueError(f'CrowdCountingDataset: split must be train or test (or all for '
                             f'ucf_cc_50), got {split!r}')
        if not 0 <= fold < num_folds:
            raise ValueError(f'CrowdCountingDataset: fold must be in [0, {num_folds}), '
                             f'got {fold}')
        self.layout, self.split, self.fold, self.num_folds = layout, split, fold, num_folds
        super().__init__(**kwargs)

    def _pairs(self, root: str):
        if not osp.isdir(root):
            raise CountingFormatError(f'{root}: dataset folder not found (data_root of a '
                                      f'{self.layout} dataset)')
        if self.layout == 'shanghaitech':
            base = osp.join(root, f'{self.split}_data')
            img_dir, ann_dir = osp.join(base, 'images'), osp.join(base, 'ground-truth')
            names = _images(img_dir, f'ShanghaiTech {self.split}_data/images')
            if not osp.isdir(ann_dir):
                raise CountingFormatError(f'{ann_dir}: ground-truth folder not found '
                                          '(ShanghaiTech GT_IMG_<n>.mat files)')
            return [(osp.join(img_dir, n), osp.join(ann_dir, f'GT_{osp.splitext(n)[0]}.mat'),
                     read_shanghaitech_points) for n in names]
        if self.layout == 'ucf_qnrf':
            folder = osp.join(root, self.split.capitalize())
            names = _images(folder, f'UCF-QNRF {self.split.capitalize()}/')
        else:
            folder = root
            names = _images(folder, 'UCF_CC_50')
            if len(names) < self.num_folds:
                raise CountingFormatError(f'{folder}: {len(names)} images cannot make '
                                          f'{self.num_folds} folds')
            if self.split != 'all':
                size = -(-len(names) // self.num_folds)
                test = names[self.fold * size:(self.fold + 1) * size]
                names = test if self.split == 'test' else [n for n in names if n not in test]
        return [(osp.join(folder, n), osp.join(folder, f'{osp.splitext(n)[0]}_ann.mat'),
                 read_ann_points) for n in names]

    def load_data_list(self) -> List[dict]:
        data_list = []
        for img_path, ann_path, reader in self._pairs(self.data_root):
            if not osp.isfile(ann_path):
                raise CountingFormatError(f'{ann_path}: annotation file not found for image '
                                          f'{img_path}')
            points = reader(ann_path)
            data_list.append(dict(img_path=img_path, ann_path=ann_path, gt_points=points,
                                  gt_count=int(len(points))))
        return data_list

    def get_counts(self) -> List[int]:
        """Ground-truth counts of every sample (e.g. the mean-count baseline)."""
        return [self.get_data_info(i)['gt_count'] for i in range(len(self))]


def mean_count(dataset: Optional[CrowdCountingDataset]) -> float:
    """The mean ground-truth count of a dataset (the constant-prediction baseline)."""
    counts = dataset.get_counts()
    return float(sum(counts)) / max(len(counts), 1)
