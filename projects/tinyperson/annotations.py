"""Reading and checking TinyPerson annotation files (format of the official TinyBenchmark
release, described in its dataset/README.md).

The format is COCO-like: ``images`` (``id``, ``file_name``, ``width``,
``height``; tile files add ``corner`` and keep the originals as
``old_images``), ``annotations`` (``id``, ``image_id``, ``category_id``,
``bbox`` [x, y, w, h], ``area``, optional ``iscrowd``, ``ignore``,
``uncertain``, ``logo``, ``in_dense_image``) and ``categories``. Errors name
the file, the entry and the field.
"""
import json
import os.path as osp
from numbers import Number


class TinyPersonFormatError(ValueError):
    """An annotation file that does not follow the TinyPerson (COCO-like) format."""


FLAG_FIELDS = ('iscrowd', 'ignore', 'uncertain', 'logo', 'in_dense_image')


def is_ignore_region(ann, ignore_uncertain=True):
    """TinyPerson's rule for a box that is not scored: ``ignore`` or ``iscrowd``, and
    ``uncertain`` with ``ignore_uncertain`` (official TinyBenchmark code,
    tools/evaluate/evaluate_tiny.py with ``ignore_uncertain=True``)."""
    return (bool(ann.get('ignore', False)) or bool(ann.get('iscrowd', 0))
            or (ignore_uncertain and bool(ann.get('uncertain', False))))


def _fail(path, where, field, expected, got):
    raise TinyPersonFormatError(f'{path}: {where}: field {field!r} {expected} (got {got!r})')


def _check_image(path, where, img):
    if not isinstance(img, dict):
        _fail(path, where, '<entry>', 'must be an object', type(img).__name__)
    for field in ('id', 'file_name', 'width', 'height'):
        if field not in img:
            _fail(path, where, field, 'is missing', None)
    if not isinstance(img['file_name'], str) or not img['file_name']:
        _fail(path, where, 'file_name', 'must be a non-empty string', img['file_name'])
    for field in ('width', 'height'):
        if not isinstance(img[field], Number) or img[field] <= 0:
            _fail(path, where, field, 'must be a positive number', img[field])
    corner = img.get('corner')
    if corner is not None:
        if (not isinstance(corner, (list, tuple)) or len(corner) != 4
                or not all(isinstance(v, Number) for v in corner)
                or corner[2] <= corner[0] or corner[3] <= corner[1]):
            _fail(path, where, 'corner', 'must be [x1, y1, x2, y2] with x2 > x1, y2 > y1', corner)


def load_tinyperson_json(path):
    """Load and check a TinyPerson json; returns the dict."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'TinyPerson annotation file not found: {path}')
    try:
        with open(path) as f:
            coco = json.load(f)
    except json.JSONDecodeError as e:
        raise TinyPersonFormatError(f'{path}: not valid json ({e})') from None
    if not isinstance(coco, dict):
        raise TinyPersonFormatError(f'{path}: the top level must be an object with '
                                    f"'images', 'annotations', 'categories'")
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(coco.get(key), list):
            _fail(path, 'top level', key, 'must be a list', type(coco.get(key)).__name__)
    if not coco['categories']:
        _fail(path, 'top level', 'categories', 'must not be empty', [])
    cat_ids = set()
    for i, cat in enumerate(coco['categories']):
        if not isinstance(cat, dict) or 'id' not in cat:
            _fail(path, f'categories[{i}]', 'id', 'is missing', cat)
        cat_ids.add(cat['id'])
    img_ids = set()
    for i, img in enumerate(coco['images']):
        _check_image(path, f'images[{i}]', img)
        if img['id'] in img_ids:
            _fail(path, f'images[{i}]', 'id', 'must be unique', img['id'])
        img_ids.add(img['id'])
    for i, img in enumerate(coco.get('old_images') or []):
        _check_image(path, f'old_images[{i}]', img)
    ann_ids = set()
    for i, ann in enumerate(coco['annotations']):
        where = f'annotations[{i}]'
        if not isinstance(ann, dict):
            _fail(path, where, '<entry>', 'must be an object', type(ann).__name__)
        for field in ('id', 'image_id', 'category_id', 'bbox'):
            if field not in ann:
                _fail(path, where, field, 'is missing', None)
        if ann['id'] in ann_ids:
            _fail(path, where, 'id', 'must be unique', ann['id'])
        ann_ids.add(ann['id'])
        if ann['image_id'] not in img_ids:
            _fail(path, where, 'image_id', 'must name an entry of images', ann['image_id'])
        if ann['category_id'] not in cat_ids:
            _fail(path, where, 'category_id', f'must be one of {sorted(cat_ids)}',
                  ann['category_id'])
        bbox = ann['bbox']
        if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
                or not all(isinstance(v, Number) for v in bbox) or bbox[2] < 0 or bbox[3] < 0):
            _fail(path, where, 'bbox', 'must be [x, y, w, h] with w, h >= 0', bbox)
        if 'area' in ann and not isinstance(ann['area'], Number):
            _fail(path, where, 'area', 'must be a number', ann['area'])
        for flag in FLAG_FIELDS:
            if flag in ann and not isinstance(ann[flag], (bool, int)):
                _fail(path, where, flag, 'must be a boolean', ann[flag])
    return coco
