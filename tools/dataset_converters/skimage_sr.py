"""Write a small SISR dataset from the photographs that ship with scikit-image.

    python tools/dataset_converters/skimage_sr.py [--out data/skimage_sr] [--scale 2]

No download: the colour photographs bundled in ``skimage.data``. Training
photographs are cut into overlapping HR sub-images (as mmagic's DIV2K
``*_sub`` preprocessing does) and test photographs are kept whole, cropped to
a multiple of 12 (``GTmod12``). LR images come from MATLAB-like bicubic
downsampling (mmagic's ``MATLABLikeResize``), the degradation of DIV2K,
Set5 and the others. The layout is mmagic's SISR layout, so the configs are
the DIV2K/Set5 ones with another ``data_root``::

    <out>/train/GT/*.png   <out>/train/LRbicx<s>/*.png
    <out>/test/GTmod12/*.png   <out>/test/LRbicx<s>/*.png
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

TRAIN_PHOTOS = ('astronaut', 'rocket', 'immunohistochemistry', 'motorcycle')
TEST_PHOTOS = ('chelsea', 'coffee')


def load_photo(name):
    from skimage import data
    if name == 'motorcycle':
        return data.stereo_motorcycle()[0]
    return getattr(data, name)()


def downsample(hr, scale):
    from mmagic.datasets.transforms import MATLABLikeResize
    lr = MATLABLikeResize(keys=['gt'], scale=1 / scale).transform(dict(gt=hr))['gt']
    return np.clip(np.round(lr), 0, 255).astype(np.uint8)


def write_pair(out, split, gt_dir, name, hr, scale):
    import cv2
    for folder, img in ((gt_dir, hr), (f'LRbicx{scale}', downsample(hr, scale))):
        path = osp.join(out, split, folder, f'{name}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        if not cv2.imwrite(path, img[..., ::-1]):  # RGB -> BGR
            raise OSError(f'could not write {path}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/skimage_sr')
    parser.add_argument('--scale', type=int, default=2, choices=(2, 3, 4))
    parser.add_argument('--sub-size', type=int, default=96, help='HR sub-image size (train)')
    parser.add_argument('--step', type=int, default=48, help='HR sub-image stride (train)')
    args = parser.parse_args(argv)
    import mmlean  # noqa: F401  (compat: mmagic transforms without albumentations)
    if args.sub_size % args.scale:
        parser.error(f'--sub-size {args.sub_size} must be a multiple of --scale {args.scale}')
    n_train = 0
    for name in TRAIN_PHOTOS:
        hr = load_photo(name)
        h, w = hr.shape[:2]
        for y in range(0, h - args.sub_size + 1, args.step):
            for x in range(0, w - args.sub_size + 1, args.step):
                sub = np.ascontiguousarray(hr[y:y + args.sub_size, x:x + args.sub_size])
                write_pair(args.out, 'train', 'GT', f'{name}_{y:04d}_{x:04d}', sub, args.scale)
                n_train += 1
    for name in TEST_PHOTOS:
        hr = load_photo(name)
        h, w = (s - s % 12 for s in hr.shape[:2])
        write_pair(args.out, 'test', 'GTmod12', name, np.ascontiguousarray(hr[:h, :w]), args.scale)
    print(f'{args.out}: {n_train} training sub-images from {", ".join(TRAIN_PHOTOS)}; '
          f'test photographs {", ".join(TEST_PHOTOS)}; x{args.scale} bicubic LR')
    return 0


if __name__ == '__main__':
    sys.exit(main())
