"""The scikit-image SR dataset converter writes mmagic's SISR layout."""
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

pytest.importorskip('skimage')
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_writes_paired_hr_and_bicubic_lr(tmp_path):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    try:
        import skimage_sr
    finally:
        sys.path.pop(0)
    out = tmp_path / 'sr'
    assert skimage_sr.main(
        ['--out', str(out), '--scale', '2', '--sub-size', '96', '--step', '240']) == 0
    gts = sorted(p.name for p in (out / 'train' / 'GT').iterdir())
    assert gts and gts == sorted(p.name for p in (out / 'train' / 'LRbicx2').iterdir())
    gt = cv2.imread(str(out / 'train' / 'GT' / gts[0]))
    lr = cv2.imread(str(out / 'train' / 'LRbicx2' / gts[0]))
    assert gt.shape == (96, 96, 3) and lr.shape == (48, 48, 3)
    # bicubic downsampling keeps the 2x2-block means close (no shift, no colour swap)
    blocks = gt.reshape(48, 2, 48, 2, 3).mean(axis=(1, 3))
    assert np.abs(blocks - lr).mean() < 6
    for name in skimage_sr.TEST_PHOTOS:
        hr = cv2.imread(str(out / 'test' / 'GTmod12' / f'{name}.png'))
        lr = cv2.imread(str(out / 'test' / 'LRbicx2' / f'{name}.png'))
        assert hr.shape[0] % 12 == 0 and hr.shape[1] % 12 == 0
        assert lr.shape[:2] == (hr.shape[0] // 2, hr.shape[1] // 2)
        photo = skimage_sr.load_photo(name)
        # RGB on disk as BGR
        assert np.array_equal(hr[..., ::-1], photo[:hr.shape[0], :hr.shape[1]])


def test_sub_size_must_divide_by_scale(tmp_path, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    try:
        import skimage_sr
    finally:
        sys.path.pop(0)
    with pytest.raises(SystemExit):
        skimage_sr.main(['--out', str(tmp_path), '--scale', '4', '--sub-size', '90'])
    assert '--sub-size 90 must be a multiple of --scale 4' in capsys.readouterr().err
