"""Cut a TinyPerson annotation file into tiles ("corner" file), as TinyBenchmark's released ones.

    python tools/dataset_converters/tinyperson_cut.py IN.json OUT.json
        [--tile 640 512] [--overlap 50 50] [--keep-ratio 0.7]

Each tile becomes an ``images`` entry with the whole image's ``file_name``
and ``corner: [x1, y1, x2, y2]``; a box stays in a tile when at least
``--keep-ratio`` of its area is inside (clipped, shifted); the whole images
are kept as ``old_images`` (``TinyPersonMetric`` merges back to them).
Tiles have a fixed size; the last one of a row/column is moved back inside
the image (1280x720 -> x 0/590/640, y 0/208).
"""
import argparse
import json
import os
import os.path as osp
import sys


def main(argv=None):
    from mmlean.projects.tinyperson.annotations import load_tinyperson_json
    from mmlean.projects.tinyperson.tiling import cut_coco
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--tile', type=int, nargs=2, default=(640, 512), metavar=('W', 'H'))
    parser.add_argument('--overlap', type=int, nargs=2, default=(50, 50), metavar=('W', 'H'))
    parser.add_argument('--keep-ratio', type=float, default=0.7)
    args = parser.parse_args(argv)
    if not 0 < args.keep_ratio <= 1:
        parser.error('--keep-ratio must be in (0, 1]')
    coco = load_tinyperson_json(args.src)
    if coco.get('old_images'):
        parser.error(f'{args.src} is already a tile (corner) file')
    out = cut_coco(coco, tuple(args.tile), tuple(args.overlap), args.keep_ratio)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    tmp = args.dst + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f)
    os.replace(tmp, args.dst)
    print(f'{len(coco["images"])} images -> {len(out["images"])} tiles of '
          f'{args.tile[0]}x{args.tile[1]} (overlap {args.overlap[0]}x{args.overlap[1]}), '
          f'{len(coco["annotations"])} -> '
          f'{len(out["annotations"])} boxes -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
