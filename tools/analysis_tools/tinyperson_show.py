"""Draw TinyPerson detections against the ground truth, ignore regions included (PNG).

    python tools/analysis_tools/tinyperson_show.py GT_JSON RESULTS_JSON --img-root DIR
        --out show.png [--images 4] [--image-ids 1 2] [--score-thr 0.3] [--iou-thr 0.5]

GT_JSON is the whole-image annotation file (e.g. tiny_set_test_all.json),
RESULTS_JSON the merged detections (``TinyPersonMetric(outfile_prefix=...)``
writes ``<prefix>.bbox.json``, e.g. ``tools/test.py CFG CKPT --cfg-options
test_evaluator.outfile_prefix=work_dirs/x/dets``). Persons are green,
ignore regions grey (hatched), uncertain boxes orange; detections above
``--score-thr`` are blue when they match a person (IoU >= ``--iou-thr``),
red otherwise. Each image gets a whole view and a 2x zoom of its busiest
quarter.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np


def iou_xywh(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-12)


def draw(ax, img, gts, dets, score_thr, iou_thr, window=None):
    from matplotlib.patches import Rectangle
    ax.imshow(img)
    persons = [g for g in gts
               if not g.get('ignore') and not g.get('uncertain') and not g.get('iscrowd')]
    for g in gts:
        x, y, w, h = g['bbox']
        if g in persons:
            ax.add_patch(Rectangle((x, y), w, h, fill=False, ec='lime', lw=1.2))
        elif g.get('uncertain'):
            ax.add_patch(Rectangle((x, y), w, h, fill=False, ec='orange', lw=1.2, ls='--'))
        else:
            ax.add_patch(Rectangle((x, y), w, h, fill=True, fc=(0.5, 0.5, 0.5, 0.25), ec='grey',
                                   hatch='//', lw=1.0))
    for d in dets:
        if d['score'] < score_thr:
            continue
        hit = any(iou_xywh(d['bbox'], g['bbox']) >= iou_thr for g in persons)
        x, y, w, h = d['bbox']
        ax.add_patch(Rectangle((x - 1, y - 1), w + 2, h + 2, fill=False,
                               ec='deepskyblue' if hit else 'red', lw=0.9))
    if window is not None:
        x1, y1, x2, y2 = window
        ax.set_xlim(x1, x2)
        ax.set_ylim(y2, y1)
    ax.set_axis_off()


def busiest_quarter(img_w, img_h, gts):
    qw, qh = img_w / 2, img_h / 2
    best, best_n = (0, 0), -1
    for x in np.linspace(0, img_w - qw, 5):
        for y in np.linspace(0, img_h - qh, 5):
            n = sum(x <= g['bbox'][0] < x + qw and y <= g['bbox'][1] < y + qh for g in gts)
            if n > best_n:
                best, best_n = (x, y), n
    return best[0], best[1], best[0] + qw, best[1] + qh


def main(argv=None):
    import cv2
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('gt')
    parser.add_argument('results')
    parser.add_argument('--img-root', required=True,
                        help='folder the file_name entries are relative to')
    parser.add_argument('--out', required=True)
    parser.add_argument('--images', type=int, default=3)
    parser.add_argument('--image-ids', type=int, nargs='*')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--iou-thr', type=float, default=0.5)
    args = parser.parse_args(argv)
    from mmlean.projects.tinyperson.annotations import load_tinyperson_json
    gt = load_tinyperson_json(args.gt)
    if not osp.isfile(args.results):
        parser.error(f'results file not found: {args.results}')
    with open(args.results) as f:
        dets = json.load(f)
    if not isinstance(dets, list) or any(not {'image_id', 'bbox', 'score'} <= set(d) for d in dets):
        parser.error(f'{args.results}: expected a COCO results list of {{image_id, bbox, score}}')
    images = {img['id']: img for img in gt['images']}
    ids = args.image_ids or [i for i in images][:args.images]
    missing = [i for i in ids if i not in images]
    if missing:
        parser.error(f'image ids {missing} are not in {args.gt}')
    fig, axes = plt.subplots(len(ids), 2, figsize=(14, 5 * len(ids)), squeeze=False)
    for row, img_id in enumerate(ids):
        info = images[img_id]
        path = osp.join(args.img_root, info['file_name'])
        img = cv2.imread(path)
        if img is None:
            parser.error(f'cannot read image {path}')
        img = img[..., ::-1]
        gts = [a for a in gt['annotations'] if a['image_id'] == img_id]
        ds = [d for d in dets if d['image_id'] == img_id]
        draw(axes[row, 0], img, gts, ds, args.score_thr, args.iou_thr)
        axes[row, 0].set_title(f'{info["file_name"]}: '
                               f'{sum(d["score"] >= args.score_thr for d in ds)} '
                               f'detections >= {args.score_thr}', fontsize=9)
        draw(axes[row, 1], img, gts, ds, args.score_thr, args.iou_thr,
             busiest_quarter(info['width'], info['height'], gts))
        axes[row, 1].set_title('zoom (2x)', fontsize=9)
    fig.suptitle('green: person, grey hatched: ignore region, orange dashed: uncertain; '
                 'detections: blue = matches a person, red = no match', fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
