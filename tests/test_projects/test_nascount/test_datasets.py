"""Readers on small files written in the released formats (scipy.io.savemat); the layout
check and the errors name the file and the field; UCF_CC_50's folds."""
import os
import os.path as osp

import numpy as np
import pytest
from scipy.io import savemat

from mmlean.projects.nascount.datasets import (CountingFormatError, CrowdCountingDataset,
                                               read_ann_points, read_shanghaitech_points)


def _img(path, h=24, w=32):
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, np.full((h, w, 3), 128, np.uint8))


def _shanghaitech_mat(path, pts, number=None):
    # MATLAB: image_info = {struct('location', pts, 'number', n)}: a 1x1 cell of a 1x1 struct
    os.makedirs(osp.dirname(path), exist_ok=True)
    st = np.empty((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    st[0, 0]['location'] = np.asarray(pts, np.float64).reshape(-1, 2)
    st[0, 0]['number'] = np.array([[len(pts) if number is None else number]], np.float64)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = st
    savemat(path, {'image_info': cell})


def _ucf_mat(path, pts):
    os.makedirs(osp.dirname(path), exist_ok=True)
    savemat(path, {'annPoints': np.asarray(pts, np.float64).reshape(-1, 2)})


def test_shanghaitech_reader_and_dataset(tmp_path):
    root = str(tmp_path / 'part_A')
    pts = {1: [[1.5, 2.5], [10, 20], [30.2, 5.0]], 2: [[4, 4]], 10: []}
    for n, p in pts.items():
        _img(f'{root}/train_data/images/IMG_{n}.jpg')
        _shanghaitech_mat(f'{root}/train_data/ground-truth/GT_IMG_{n}.mat', p)
    got = read_shanghaitech_points(f'{root}/train_data/ground-truth/GT_IMG_1.mat')
    np.testing.assert_allclose(got, pts[1])
    ds = CrowdCountingDataset(layout='shanghaitech', data_root=root, split='train',
                              pipeline=[])
    # natural order: IMG_1, IMG_2, IMG_10
    assert [osp.basename(ds[i]['img_path']) for i in range(3)] == \
        ['IMG_1.jpg', 'IMG_2.jpg', 'IMG_10.jpg']
    assert ds.get_counts() == [3, 1, 0]
    assert ds[2]['gt_points'].shape == (0, 2)


def test_ucf_readers_and_folds(tmp_path):
    qnrf = str(tmp_path / 'UCF-QNRF_ECCV18')
    _img(f'{qnrf}/Test/img_0001.jpg')
    _ucf_mat(f'{qnrf}/Test/img_0001_ann.mat', [[3, 4], [5, 6]])
    ds = CrowdCountingDataset(layout='ucf_qnrf', data_root=qnrf, split='test', pipeline=[])
    assert ds.get_counts() == [2]
    np.testing.assert_allclose(read_ann_points(f'{qnrf}/Test/img_0001_ann.mat'),
                               [[3, 4], [5, 6]])
    cc = str(tmp_path / 'UCF_CC_50')
    for n in range(1, 11):
        _img(f'{cc}/{n}.jpg')
        _ucf_mat(f'{cc}/{n}_ann.mat', [[1, 1]] * n)
    for fold in range(5):
        test = CrowdCountingDataset(layout='ucf_cc_50', data_root=cc, split='test',
                                    fold=fold, pipeline=[])
        train = CrowdCountingDataset(layout='ucf_cc_50', data_root=cc, split='train',
                                     fold=fold, pipeline=[])
        # 10 images, 5 folds: images 2f+1, 2f+2 are the test fold
        assert test.get_counts() == [2 * fold + 1, 2 * fold + 2]
        assert sorted(train.get_counts() + test.get_counts()) == list(range(1, 11))


def test_errors_name_file_and_field(tmp_path):
    root = str(tmp_path / 'part_B')
    _img(f'{root}/test_data/images/IMG_1.jpg')
    gt = f'{root}/test_data/ground-truth/GT_IMG_1.mat'
    # missing annotation file
    os.makedirs(osp.dirname(gt))
    with pytest.raises(CountingFormatError, match='GT_IMG_1.mat: annotation file not found'):
        CrowdCountingDataset(layout='shanghaitech', data_root=root, split='test', pipeline=[])
    # wrong field
    savemat(gt, {'annPoints': np.zeros((2, 2))})
    with pytest.raises(CountingFormatError, match=r"GT_IMG_1.mat: no field 'image_info'"):
        CrowdCountingDataset(layout='shanghaitech', data_root=root, split='test', pipeline=[])
    # right field, wrong structure (a plain array instead of the cell of a struct)
    savemat(gt, {'image_info': np.zeros((2, 2))})
    with pytest.raises(CountingFormatError, match=r'GT_IMG_1.mat: field image_info\[0,0\]'):
        read_shanghaitech_points(gt)
    # count mismatch
    _shanghaitech_mat(gt, [[1, 2]], number=5)
    with pytest.raises(CountingFormatError, match='GT_IMG_1.mat: field image_info.*number'):
        read_shanghaitech_points(gt)
    # points of the wrong shape
    bad = str(tmp_path / 'x_ann.mat')
    savemat(bad, {'annPoints': np.zeros((3, 1))})
    with pytest.raises(CountingFormatError, match=r'x_ann.mat: field annPoints must be an'):
        read_ann_points(bad)
    savemat(bad, {'points': np.zeros((3, 2))})
    with pytest.raises(CountingFormatError, match=r"x_ann.mat: no field 'annPoints'"):
        read_ann_points(bad)
    with open(bad, 'w') as f:
        f.write('not a mat file')
    with pytest.raises(CountingFormatError, match='x_ann.mat: not a readable'):
        read_ann_points(bad)
    # missing folders
    with pytest.raises(CountingFormatError, match='Train: image folder not found'):
        CrowdCountingDataset(layout='ucf_qnrf', data_root=str(tmp_path), split='train',
                             pipeline=[])
    with pytest.raises(CountingFormatError, match='dataset folder not found'):
        CrowdCountingDataset(layout='ucf_cc_50', data_root=str(tmp_path / 'nope'), pipeline=[])
