"""Write the digits-on-photos proxy to disk, in mmpretrain's CustomDataset layout.

    python tools/dataset_converters/digits_on_photos.py [--out data/digits_on_photos]
        [--image-size 32] [--train-renders 4] [--train-seed 0] [--test-seed 2020]

No download: scikit-learn's digits drawn on scikit-image's photographs
(:mod:`mmlean.datasets.digits_on_photos`). The configs render the images
themselves (``DigitsOnPhotosDataset``, fresh training renders every epoch); this
writer is for looking at them, for other tools, or for a fixed training set::

    <out>/test/<class>/<n>.png     <out>/meta/test.txt   (the configs' test set)
    <out>/train/<class>/<n>.png    <out>/meta/train.txt  (--train-renders per digit)
    <out>/preview.png              (the first 96 test images, 3x)

``meta/*.txt`` lines are ``<class>/<n>.png <label>`` (mmpretrain ``CustomDataset``
with ``data_prefix='test'``, ``ann_file='meta/test.txt'``).
"""
import argparse
import os
import os.path as osp
import sys


def write_split(out, split, images, labels):
    import cv2
    lines = []
    for n, (img, label) in enumerate(zip(images, labels)):
        rel = f'{label}/{n:05d}.png'
        path = osp.join(out, split, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        if not cv2.imwrite(path, img[..., ::-1]):  # RGB -> BGR
            raise OSError(f'could not write {path}')
        lines.append(f'{rel} {label}\n')
    os.makedirs(osp.join(out, 'meta'), exist_ok=True)
    with open(osp.join(out, 'meta', f'{split}.txt'), 'w') as f:
        f.writelines(lines)


def preview(images, path, columns=12, zoom=3):
    import cv2
    import numpy as np
    rows = min(8, len(images) // columns)
    grid = np.concatenate([np.concatenate(list(images[r * columns:(r + 1) * columns]), 1)
                           for r in range(rows)], 0)
    grid = cv2.resize(grid, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(path, grid[..., ::-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/digits_on_photos')
    parser.add_argument('--image-size', type=int, default=32, choices=(16, 32))
    parser.add_argument('--train-renders', type=int, default=4,
                        help='renders per training digit (0: test set only)')
    parser.add_argument('--test-renders', type=int, default=9,
                        help='renders per held-out digit (9: the configs\' 3,240 images)')
    parser.add_argument('--train-seed', type=int, default=0)
    parser.add_argument('--test-seed', type=int, default=2020)
    args = parser.parse_args(argv)
    if args.train_renders < 0 or args.test_renders < 1:
        parser.error('--train-renders must be >= 0 and --test-renders >= 1')
    from mmlean.datasets.digits_on_photos import load_photos, render_split
    photos = load_photos()
    images, labels = render_split('test', args.test_renders, args.test_seed, args.image_size,
                                  photos=photos)
    write_split(args.out, 'test', images, labels)
    preview(images, osp.join(args.out, 'preview.png'))
    print(f'{args.out}/test: {len(labels)} images of {args.image_size}x{args.image_size}')
    if args.train_renders:
        images, labels = render_split('train', args.train_renders, args.train_seed,
                                      args.image_size, photos=photos)
        write_split(args.out, 'train', images, labels)
        print(f'{args.out}/train: {len(labels)} images')
    return 0


if __name__ == '__main__':
    sys.exit(main())
