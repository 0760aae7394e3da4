"""Readers of the crowd-counting annotation files, in their released formats.

* ShanghaiTech Part A/B (Zhang et al., "Single-Image Crowd Counting via
  Multi-Column CNN", CVPR 2016): ``part_{A,B}/{train,test}_data/images/IMG_<n>.jpg``
  with ``ground-truth/GT_IMG_<n>.mat``; the head points are
  ``image_info{1}.location`` (MATLAB), i.e. ``mat['image_info'][0, 0][0, 0][0]``
  in scipy (an ``(N, 2)`` array of x, y), and ``image_info{1}.number`` the count.
* UCF-QNRF (Idrees et al., "Composition Loss for Counting, Density Map
  Estimation and Localization in Dense Crowds", ECCV 2018):
  ``{Train,Test}/img_<nnnn>.jpg`` with ``img_<nnnn>_ann.mat``, field ``annPoints``.
* UCF_CC_50 (Idrees et al., "Multi-Source Multi-Scale Counting in Extremely
  Dense Crowd Images", CVPR 2013): ``<n>.jpg`` with ``<n>_ann.mat``, field
  ``annPoints``, 50 images evaluated by 5-fold cross-validation.

Every error names the file and the field that is missing or malformed.
"""
import os.path as osp

import numpy as np


class CountingFormatError(ValueError):
    """An annotation file or a dataset folder does not have the expected layout."""


def _loadmat(path: str) -> dict:
    if not osp.isfile(path):
        raise CountingFormatError(f'{path}: annotation file not found')
    from scipy.io import loadmat
    try:
        return loadmat(path)
    except Exception as e:  # scipy raises several types for a broken file
        raise CountingFormatError(f'{path}: not a readable MATLAB .mat file ({e})') from e


def _points(value, path: str, field: str) -> np.ndarray:
    try:
        pts = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise CountingFormatError(f'{path}: field {field} is not a numeric array ({e})') from e
    if pts.size == 0:
        return np.zeros((0, 2), np.float32)
    if pts.ndim != 2 or pts.shape[1] < 2:
        raise CountingFormatError(f'{path}: field {field} must be an (N, 2) array of (x, y) '
                                  f'head points, got shape {pts.shape}')
    if not np.isfinite(pts[:, :2]).all():
        raise CountingFormatError(f'{path}: field {field} holds NaN or inf points')
    return pts[:, :2].astype(np.float32)


def read_shanghaitech_points(path: str) -> np.ndarray:
    """Head points ``(N, 2)`` (x, y) of a ShanghaiTech ``GT_IMG_<n>.mat``.

    The field is ``image_info[0, 0][0, 0][0]`` (``image_info{1}.location``);
    when ``image_info{1}.number`` is present it must equal ``N``.
    """
    mat = _loadmat(path)
    field = 'image_info'
    if field not in mat:
        keys = sorted(k for k in mat if not k.startswith('__'))
        raise CountingFormatError(f'{path}: no field {field!r} (ShanghaiTech GT_IMG_*.mat); '
                                  f'the file has {keys}')
    try:
        record = mat[field][0, 0][0, 0]
        location = record['location'] if 'location' in (record.dtype.names or ()) \
            else record[0]
    except (IndexError, TypeError, ValueError, KeyError) as e:
        raise CountingFormatError(
            f'{path}: field image_info[0,0][0,0][0] (image_info{{1}}.location) not found: '
            f'expected a 1x1 cell holding a 1x1 struct with location and number ({e})') from e
    pts = _points(location, path, 'image_info[0,0][0,0][0] (location)')
    names = record.dtype.names or ()
    if 'number' in names:
        number = np.asarray(record['number']).reshape(-1)
        if number.size == 1 and int(round(float(number[0]))) != len(pts):
            raise CountingFormatError(f'{path}: field image_info{{1}}.number says '
                                      f'{int(number[0])} heads but location has {len(pts)}')
    return pts


def read_ann_points(path: str, field: str = 'annPoints') -> np.ndarray:
    """Head points ``(N, 2)`` (x, y) of a UCF-QNRF / UCF_CC_50 ``*_ann.mat`` (``annPoints``)."""
    mat = _loadmat(path)
    if field not in mat:
        keys = sorted(k for k in mat if not k.startswith('__'))
        raise CountingFormatError(f'{path}: no field {field!r} (UCF *_ann.mat); '
                                  f'the file has {keys}')
    return _points(mat[field], path, field)


def write_shanghaitech_points(path: str, points) -> None:
    """Write ``points`` as a ShanghaiTech ``GT_IMG_<n>.mat`` (``image_info{1}.location`` and
    ``.number``, a 1x1 cell holding a 1x1 struct, as the released files)."""
    from scipy.io import savemat
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    record = np.empty((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    record[0, 0]['location'] = pts
    record[0, 0]['number'] = np.array([[float(len(pts))]])
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = record
    savemat(path, {'image_info': cell})
