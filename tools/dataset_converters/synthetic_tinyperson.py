"""Write a synthetic tiny-person set in the TinyPerson json format (no downloads).

    python tools/dataset_converters/synthetic_tinyperson.py --out data/synthetic_tinyperson
        [--train 60] [--test 12] [--width 640] [--height 480] [--seed 0]

Large textured images (sky / beach / sea bands, smoothed colour noise, wave
stripes) with small standing figures (head + body, 2-32 px in sqrt(w h),
height about twice the width) in several colours. Besides the "normal"
persons, each image may hold what TinyPerson marks as not to be scored:

* a dense group of figures covered by one ``ignore: true`` box;
* faint, low-contrast figures marked ``uncertain: true``;
* a watermark in a corner marked ``logo: true, ignore: true``.

Persons on the sea band are category 1 ``sea_person``, the others 2
``earth_person``, as in the raw TinyPerson files. Layout (as TinyPerson):
``<out>/{train,test}/labeled_images/*.jpg`` and
``<out>/annotations/task/tiny_set_{train,test}_all.json``.
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

CATEGORIES = [dict(id=1, name='sea_person', supercategory='person'),
              dict(id=2, name='earth_person', supercategory='person')]


def background(rng, width, height):
    import cv2
    noise = rng.random((height // 16 + 1, width // 16 + 1, 3)).astype(np.float32)
    img = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC) * 0.35
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    sky, sea = int(height * rng.uniform(0.15, 0.3)), int(height * rng.uniform(0.45, 0.6))
    bands = np.zeros((height, width, 3), np.float32)
    bands[:sky] = np.array([0.75, 0.6, 0.45])  # BGR: pale sky
    bands[sky:sea] = np.array([0.55, 0.45, 0.25])  # sea
    bands[sea:] = np.array([0.45, 0.6, 0.7])  # sand
    img += bands
    waves = 0.08 * np.sin(2 * np.pi * (yy / rng.uniform(6, 14) + 0.3 * np.sin(xx / 40.0)))
    img[sky:sea] += waves[sky:sea, :, None]
    img = np.clip(img, 0, 1)
    return (img * 255).astype(np.uint8), sky, sea


def draw_person(img, x, y, w, h, color, alpha=1.0):
    """A standing figure in the box (x, y, w, h); returns the tight box actually drawn."""
    import cv2
    mask = np.zeros(img.shape[:2], np.uint8)
    head = max(1, int(round(min(w, h * 0.3) / 2)))
    cx = int(round(x + w / 2))
    cv2.circle(mask, (cx, int(round(y + head))), head, 255, -1)
    cv2.rectangle(mask, (int(round(x)), int(round(y + 2 * head))),
                  (int(round(x + w - 1)), int(round(y + h - 1))), 255, -1)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    sel = mask > 0
    img[sel] = (alpha * np.asarray(color, np.float32) + (1 - alpha) * img[sel]).astype(np.uint8)
    return (float(xs.min()), float(ys.min()),
            float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min()))


def person_color(rng):
    palette = [(20, 20, 20), (30, 30, 200), (200, 60, 30), (240, 240, 240), (40, 160, 220),
               (150, 30, 150), (20, 90, 20)]
    return palette[int(rng.integers(len(palette)))]


def make_image(rng, width, height):
    import cv2
    img, sky, sea = background(rng, width, height)
    anns = []

    def add(box, cat, **flags):
        x, y, w, h = box
        anns.append(dict(bbox=[x, y, w, h], category_id=cat, area=w * h, iscrowd=0,
                         segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]],
                         ignore=flags.get('ignore', False), uncertain=flags.get('uncertain', False),
                         logo=flags.get('logo', False), in_dense_image=False))

    taken = []

    def free(x, y, w, h, pad=2):
        return all(x + w + pad < a or a2 + pad < x or y + h + pad < b or b2 + pad < y
                   for a, b, a2, b2 in taken)

    n_persons = int(rng.integers(8, 25))
    for _ in range(n_persons * 4):
        if len([a for a in anns if not a['ignore'] and not a['uncertain']]) >= n_persons:
            break
        size = float(np.exp(rng.uniform(np.log(3), np.log(32))))  # sqrt(w h), log-uniform 3-32 px
        aspect = rng.uniform(1.6, 2.6)  # h / w
        w, h = max(1.0, size / np.sqrt(aspect)), max(2.0, size * np.sqrt(aspect))
        x, y = rng.uniform(0, width - w - 1), rng.uniform(sky, height - h - 1)
        if not free(x, y, w, h):
            continue
        box = draw_person(img, x, y, w, h, person_color(rng))
        if box is None:
            continue
        taken.append((box[0], box[1], box[0] + box[2], box[1] + box[3]))
        add(box, 1 if box[1] + box[3] < sea else 2)
    if rng.random() < 0.6:  # a dense group: one ignore region
        gw, gh = rng.uniform(50, 110), rng.uniform(25, 50)
        gx, gy = rng.uniform(0, width - gw - 1), rng.uniform(sea, height - gh - 1)
        if free(gx, gy, gw, gh):
            for _ in range(int(rng.integers(10, 25))):
                s = rng.uniform(4, 9)
                draw_person(img, gx + rng.uniform(0, gw - s / 2), gy + rng.uniform(0, gh - s),
                            s / 2, s, person_color(rng))
            taken.append((gx, gy, gx + gw, gy + gh))
            add((float(gx), float(gy), float(gw), float(gh)), 2, ignore=True)
    for _ in range(int(rng.integers(0, 3))):  # faint figures: uncertain
        s = float(rng.uniform(4, 14))
        w, h = s / 1.4, s * 1.4
        x, y = rng.uniform(0, width - w - 1), rng.uniform(sky, height - h - 1)
        if free(x, y, w, h):
            box = draw_person(img, x, y, w, h, person_color(rng), alpha=0.3)
            if box is not None:
                taken.append((box[0], box[1], box[0] + box[2], box[1] + box[3]))
                add(box, 1 if box[1] + box[3] < sea else 2, uncertain=True)
    if rng.random() < 0.5:  # a watermark
        lw, lh = 48, 18
        cv2.putText(img, 'TV', (width - lw, lh - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (255, 255, 255), 2)
        add((float(width - lw - 2), 0.0, float(lw + 2), float(lh + 2)), 2, ignore=True, logo=True)
    return img, anns


def write_split(out, split, n, width, height, rng):
    import cv2
    img_dir = osp.join(out, split, 'labeled_images')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for i in range(n):
        img, anns = make_image(rng, width, height)
        name = f'labeled_images/syn_{split}_{i:05d}.jpg'
        if not cv2.imwrite(osp.join(out, split, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f'could not write {osp.join(out, split, name)}')
        images.append(dict(id=i + 1, file_name=name, width=width, height=height))
        for a in anns:
            annotations.append(dict(a, id=len(annotations) + 1, image_id=i + 1))
    coco = dict(type='instance', images=images, annotations=annotations, categories=CATEGORIES)
    os.makedirs(osp.join(out, 'annotations', 'task'), exist_ok=True)
    path = osp.join(out, 'annotations', 'task', f'tiny_set_{split}_all.json')
    with open(path, 'w') as f:
        json.dump(coco, f)
    return path, coco


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True)
    parser.add_argument('--train', type=int, default=60)
    parser.add_argument('--test', type=int, default=12)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.width < 128 or args.height < 128:
        parser.error('--width and --height must be at least 128')
    rng = np.random.default_rng(args.seed)
    for split, n in (('train', args.train), ('test', args.test)):
        path, coco = write_split(args.out, split, n, args.width, args.height, rng)
        anns = coco['annotations']
        normal = [a for a in anns if not a['ignore'] and not a['uncertain']]
        sizes = np.sqrt([a['area'] for a in normal]) if normal else np.zeros(1)
        print(f'{split}: {n} images, {len(normal)} persons '
              f'(size {sizes.min():.1f}-{sizes.max():.1f} px, '
              f'median {np.median(sizes):.1f}), {sum(a["ignore"] for a in anns)} ignore '
              f'({sum(a["logo"] for a in anns)} logos), '
              f'{sum(a["uncertain"] for a in anns)} uncertain -> {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
