"""Write a small synthetic detection set in COCO format: shapes on textured backgrounds.

    python tools/dataset_converters/synthetic_shapes_coco.py --out data/shapes_coco
        [--train 400] [--val 100] [--size 128] [--seed 0]

Three classes (rectangle, ellipse, triangle), 1-4 objects per image of
random colour, size (6-60 px) and position, on backgrounds of smoothed
colour noise plus a gradient and stripes, so that colour alone does not
find the objects. Layout: ``<out>/{train,val}/*.png`` and
``<out>/annotations/instances_{train,val}.json`` (COCO: boxes are
``[x, y, w, h]`` of the drawn shape's tight extent).
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

CLASSES = ('rectangle', 'ellipse', 'triangle')


def background(rng, size):
    import cv2
    noise = rng.random((size // 8, size // 8, 3)).astype(np.float32)
    img = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, np.pi)
    img += 0.4 * (np.cos(angle) * xx + np.sin(angle) * yy)[..., None]
    img += 0.15 * np.sin(2 * np.pi * rng.uniform(2, 8) * xx)[..., None] * rng.random(3)
    img = (img - img.min()) / (img.max() - img.min() + 1e-6)
    return (img * 200 + 20).astype(np.uint8)


def draw(rng, img, label):
    """Draw one shape; return its tight box (x0, y0, x1, y1) or None if it fell off."""
    import cv2
    size = img.shape[0]
    w, h = (int(v) for v in rng.integers(6, 61, size=2))
    x0, y0 = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
    color = tuple(int(c) for c in rng.integers(0, 256, size=3))
    mask = np.zeros(img.shape[:2], np.uint8)
    if label == 0:
        cv2.rectangle(mask, (x0, y0), (x0 + w - 1, y0 + h - 1), 255, -1)
    elif label == 1:
        cv2.ellipse(mask, (x0 + w // 2, y0 + h // 2), (max(w // 2, 2), max(h // 2, 2)),
                    0, 0, 360, 255, -1)
    else:
        pts = np.array([[x0 + w // 2, y0], [x0, y0 + h - 1], [x0 + w - 1, y0 + h - 1]], np.int32)
        cv2.fillPoly(mask, [pts], 255)
    ys, xs = np.nonzero(mask)
    if len(xs) < 9:
        return None
    img[mask > 0] = color
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def write_split(out, split, n, size, rng, first_ann_id):
    import cv2
    os.makedirs(osp.join(out, split), exist_ok=True)
    images, anns = [], []
    for i in range(n):
        img = background(rng, size)
        name = f'{split}_{i:05d}.png'
        for _ in range(int(rng.integers(1, 5))):
            label = int(rng.integers(0, len(CLASSES)))
            box = draw(rng, img, label)
            if box is None:
                continue
            x0, y0, x1, y1 = box
            anns.append(dict(id=first_ann_id + len(anns), image_id=i, category_id=label + 1,
                             bbox=[x0, y0, x1 - x0, y1 - y0], area=(x1 - x0) * (y1 - y0),
                             iscrowd=0))
        if not cv2.imwrite(osp.join(out, split, name), img[..., ::-1]):
            raise OSError(f'could not write {osp.join(out, split, name)}')
        images.append(dict(id=i, file_name=name, width=size, height=size))
    coco = dict(images=images, annotations=anns,
                categories=[dict(id=k + 1, name=c) for k, c in enumerate(CLASSES)])
    os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
    with open(osp.join(out, 'annotations', f'instances_{split}.json'), 'w') as f:
        json.dump(coco, f)
    return len(anns)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/shapes_coco')
    parser.add_argument('--train', type=int, default=400)
    parser.add_argument('--val', type=int, default=100)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.size < 64:
        parser.error(f'--size {args.size} is too small for the 6-60 px objects; use >= 64')
    rng = np.random.default_rng(args.seed)
    n_train = write_split(args.out, 'train', args.train, args.size, rng, 1)
    n_val = write_split(args.out, 'val', args.val, args.size, rng, 1 + n_train)
    print(f'{args.out}: {args.train} train images ({n_train} objects), {args.val} val images '
          f'({n_val} objects), {args.size}x{args.size}, classes {", ".join(CLASSES)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
