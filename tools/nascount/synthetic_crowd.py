"""Write a synthetic crowd-counting set in the ShanghaiTech layout (no downloads).

    python tools/nascount/synthetic_crowd.py --out data/synthetic_crowd
        [--train 120] [--test 30] [--width 256] [--height 256]
        [--min-count 5] [--max-count 150] [--seed 0]

Textured backgrounds and small standing figures come from the TinyPerson
synthetic renderer (``tools/dataset_converters/synthetic_tinyperson.py``:
``background``, ``draw_person``, ``person_color``). On top, a crowd:

* counts log-uniform in ``[min_count, max_count]`` per image;
* perspective: the figure height grows linearly with the image row (far rows
  small, near rows large), and more heads stand in the far rows;
* a few Gaussian groups plus scattered people; figures are drawn far to near,
  so near ones may occlude far ones, as in real crowds;
* the annotation is one point per head (the centre of the drawn head).

Layout (as ShanghaiTech, so ``CrowdCountingDataset(layout='shanghaitech')``
reads it): ``<out>/{train,test}_data/images/IMG_<n>.jpg`` and
``<out>/{train,test}_data/ground-truth/GT_IMG_<n>.mat``.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tinyperson_renderer():
    """The TinyPerson synthetic renderer module (a script, loaded by path)."""
    path = osp.join(ROOT, 'tools', 'dataset_converters', 'synthetic_tinyperson.py')
    return load_script(path, '_synthetic_tinyperson')


def crowd_positions(rng, n, width, height, top):
    """``n`` feet positions: groups and scattered people, denser in the far (upper) rows."""
    xs, ys = [], []
    n_groups = int(rng.integers(1, 4))
    centres = [(rng.uniform(0.15, 0.85), rng.uniform(0.2, 0.9)) for _ in range(n_groups)]
    for _ in range(n):
        if rng.random() < 0.7:  # in a group
            cx, cy = centres[rng.integers(n_groups)]
            x, y = rng.normal(cx, 0.12), rng.normal(cy, 0.1)
        else:
            x, y = rng.random(), rng.random()**1.5  # more people far away
        xs.append(np.clip(x, 0.0, 0.999) * width)
        ys.append(top + np.clip(y, 0.0, 0.999) * (height - top))
    return np.array(xs), np.array(ys)


def make_image(rng, renderer, width, height, count, far_size=(5, 8), near_size=(16, 26)):
    """One image and its head points ``(N, 2)``."""
    img, sky, _ = renderer.background(rng, width, height)
    top = max(4, sky // 2)
    xs, ys = crowd_positions(rng, count, width, height, top)
    far, near = rng.uniform(*far_size), rng.uniform(*near_size)
    points = []
    for i in np.argsort(ys):  # far to near
        t = (ys[i] - top) / max(height - top, 1)
        h = far + (near - far) * t  # perspective: height grows with the row
        w = h / rng.uniform(1.8, 2.4)
        x, y = xs[i] - w / 2, ys[i] - h
        if y < 0:
            continue
        box = renderer.draw_person(img, x, y, w, h, renderer.person_color(rng))
        if box is None:
            continue
        head = max(1, int(round(min(w, h * 0.3) / 2)))
        points.append((round(x + w / 2) + 0.5, round(y + head) + 0.5))
    return img, np.array(points, np.float64).reshape(-1, 2)


def write_split(out, split, n, args, rng, renderer):
    import cv2

    from mmlean.projects.nascount.datasets.readers import write_shanghaitech_points
    img_dir = osp.join(out, f'{split}_data', 'images')
    gt_dir = osp.join(out, f'{split}_data', 'ground-truth')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(gt_dir, exist_ok=True)
    counts = []
    for i in range(1, n + 1):
        count = int(round(np.exp(rng.uniform(np.log(args.min_count), np.log(args.max_count)))))
        img, pts = make_image(rng, renderer, args.width, args.height, count)
        path = osp.join(img_dir, f'IMG_{i}.jpg')
        if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f'could not write {path}')
        write_shanghaitech_points(osp.join(gt_dir, f'GT_IMG_{i}.mat'), pts)
        counts.append(len(pts))
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True)
    parser.add_argument('--train', type=int, default=120)
    parser.add_argument('--test', type=int, default=30)
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--height', type=int, default=256)
    parser.add_argument('--min-count', type=int, default=5)
    parser.add_argument('--max-count', type=int, default=150)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.width < 64 or args.height < 64:
        parser.error('--width and --height must be at least 64')
    if not 1 <= args.min_count <= args.max_count:
        parser.error('need 1 <= --min-count <= --max-count')
    renderer = tinyperson_renderer()
    rng = np.random.default_rng(args.seed)
    for split, n in (('train', args.train), ('test', args.test)):
        counts = write_split(args.out, split, n, args, rng, renderer)
        print(f'{split}: {n} images, {sum(counts)} heads (count {min(counts)}-{max(counts)}, '
              f'mean {np.mean(counts):.1f}) -> {osp.join(args.out, split + "_data")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
