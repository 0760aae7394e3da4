"""Writers of tiny datasets in the on-disk formats the datasets are released in.

Each writer builds its files with the standard library, numpy, Pillow and scipy
only, from the published descriptions of the formats; none goes through
mmlean's (or OpenMMLab's) readers, so a reader that misreads a format cannot
hide behind a writer that makes the same mistake. Images are small and random
but structured (gradients and boxes), enough for a training step.

:func:`write_all` lays out the ``data/`` tree the configs under ``configs/``
read (``data/cifar10``, ``data/imagenet``, ``data/DIV2K``, ``data/coco``, ...).
"""
import json
import os
import os.path as osp
import pickle
import struct
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

# COCO's 80 detection categories with the ids of the released instances_*.json
COCO_CATEGORIES = [
    (1, 'person', 'person'), (2, 'bicycle', 'vehicle'), (3, 'car', 'vehicle'),
    (4, 'motorcycle', 'vehicle'), (5, 'airplane', 'vehicle'), (6, 'bus', 'vehicle'),
    (7, 'train', 'vehicle'), (8, 'truck', 'vehicle'), (9, 'boat', 'vehicle'),
    (10, 'traffic light', 'outdoor'), (11, 'fire hydrant', 'outdoor'),
    (13, 'stop sign', 'outdoor'), (14, 'parking meter', 'outdoor'), (15, 'bench', 'outdoor'),
    (16, 'bird', 'animal'), (17, 'cat', 'animal'), (18, 'dog', 'animal'),
    (19, 'horse', 'animal'), (20, 'sheep', 'animal'), (21, 'cow', 'animal'),
    (22, 'elephant', 'animal'), (23, 'bear', 'animal'), (24, 'zebra', 'animal'),
    (25, 'giraffe', 'animal'), (27, 'backpack', 'accessory'), (28, 'umbrella', 'accessory'),
    (31, 'handbag', 'accessory'), (32, 'tie', 'accessory'), (33, 'suitcase', 'accessory'),
    (34, 'frisbee', 'sports'), (35, 'skis', 'sports'), (36, 'snowboard', 'sports'),
    (37, 'sports ball', 'sports'), (38, 'kite', 'sports'), (39, 'baseball bat', 'sports'),
    (40, 'baseball glove', 'sports'), (41, 'skateboard', 'sports'),
    (42, 'surfboard', 'sports'), (43, 'tennis racket', 'sports'), (44, 'bottle', 'kitchen'),
    (46, 'wine glass', 'kitchen'), (47, 'cup', 'kitchen'), (48, 'fork', 'kitchen'),
    (49, 'knife', 'kitchen'), (50, 'spoon', 'kitchen'), (51, 'bowl', 'kitchen'),
    (52, 'banana', 'food'), (53, 'apple', 'food'), (54, 'sandwich', 'food'),
    (55, 'orange', 'food'), (56, 'broccoli', 'food'), (57, 'carrot', 'food'),
    (58, 'hot dog', 'food'), (59, 'pizza', 'food'), (60, 'donut', 'food'),
    (61, 'cake', 'food'), (62, 'chair', 'furniture'), (63, 'couch', 'furniture'),
    (64, 'potted plant', 'furniture'), (65, 'bed', 'furniture'),
    (67, 'dining table', 'furniture'), (70, 'toilet', 'furniture'), (72, 'tv', 'electronic'),
    (73, 'laptop', 'electronic'), (74, 'mouse', 'electronic'), (75, 'remote', 'electronic'),
    (76, 'keyboard', 'electronic'), (77, 'cell phone', 'electronic'),
    (78, 'microwave', 'appliance'), (79, 'oven', 'appliance'), (80, 'toaster', 'appliance'),
    (81, 'sink', 'appliance'), (82, 'refrigerator', 'appliance'), (84, 'book', 'indoor'),
    (85, 'clock', 'indoor'), (86, 'vase', 'indoor'), (87, 'scissors', 'indoor'),
    (88, 'teddy bear', 'indoor'), (89, 'hair drier', 'indoor'), (90, 'toothbrush', 'indoor'),
]
VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')
# the first ImageNet-1k classes (class index = position in the sorted wnid list)
IMAGENET_WNIDS = ('n01440764', 'n01443537', 'n01484850', 'n01491361', 'n01494475')
SR_TEST_SETS = {'Set5': ('baby', 'bird'), 'Set14': ('baboon', ), 'B100': ('3096', ),
                'Urban100': ('img_001', )}


def _image(rng, height, width, channels=3):
    """A random smooth image with a few rectangles (uint8, H x W x C)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, channels), np.float32)
    for c in range(channels):
        fx, fy, phase = rng.uniform(0.02, 0.2, 2).tolist() + [rng.uniform(0, 6.28)]
        img[..., c] = 127 + 100 * np.sin(fx * xx + fy * yy + phase)
    for _ in range(3):
        y0, x0 = rng.integers(0, height), rng.integers(0, width)
        img[y0:y0 + max(height // 4, 1), x0:x0 + max(width // 4, 1)] = rng.uniform(0, 255, channels)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _save(path, array, quality=92):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(array if array.ndim == 3 else array, 'RGB' if array.ndim == 3 else 'L')
    if path.lower().endswith(('.jpg', '.jpeg')):
        img.save(path, quality=quality)
    else:
        img.save(path)


def _dump_json(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


# --- classification -------------------------------------------------------------------------
def write_cifar10(root, per_batch=4, num_test=10, seed=0):
    """``root/cifar-10-batches-py/`` as in cifar-10-python.tar.gz: ``data_batch_1..5`` and
    ``test_batch`` are pickled dicts (``batch_label``, ``labels``, ``data`` uint8 N x 3072 in
    R, G, B planes, ``filenames``), ``batches.meta`` holds ``label_names``."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship',
             'truck']
    batches = [(f'data_batch_{i}', f'training batch {i} of 5', per_batch) for i in range(1, 6)]
    batches.append(('test_batch', 'testing batch 1 of 1', num_test))
    for fname, label, n in batches:
        images = np.stack([_image(rng, 32, 32) for _ in range(n)])
        labels = [int(v) for v in rng.integers(0, 10, n)]
        entry = {'batch_label': label, 'labels': labels,
                 'data': images.transpose(0, 3, 1, 2).reshape(n, 3072),
                 'filenames': [f'img_{fname}_{i}.png' for i in range(n)]}
        with open(osp.join(folder, fname), 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'num_cases_per_batch': 10000, 'label_names': names, 'num_vis': 3072}, f,
                    protocol=2)


def write_cifar100(root, num_train=20, num_test=10, seed=1):
    """``root/cifar-100-python/{train,test,meta}`` (``fine_labels``, ``coarse_labels``,
    ``data``; meta: ``fine_label_names``, ``coarse_label_names``)."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    for fname, n in (('train', num_train), ('test', num_test)):
        images = np.stack([_image(rng, 32, 32) for _ in range(n)])
        entry = {'filenames': [f'{fname}_{i}.png' for i in range(n)], 'batch_label': fname,
                 'fine_labels': [int(v) for v in rng.integers(0, 100, n)],
                 'coarse_labels': [int(v) for v in rng.integers(0, 20, n)],
                 'data': images.transpose(0, 3, 1, 2).reshape(n, 3072)}
        with open(osp.join(folder, fname), 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    with open(osp.join(folder, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': [f'fine{i}' for i in range(100)],
                     'coarse_label_names': [f'coarse{i}' for i in range(20)]}, f, protocol=2)


def _write_idx(path, array):
    """An IDX file (LeCun's MNIST format): magic (0, 0, dtype 0x08, ndim), big-endian dims."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    with open(path, 'wb') as f:
        f.write(struct.pack('>BBBB', 0, 0, 0x08, array.ndim))
        f.write(struct.pack('>' + 'I' * array.ndim, *array.shape))
        f.write(array.tobytes())


def write_mnist(root, num_train=20, num_test=10, seed=2):
    """``root/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (the unpacked .gz files)."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    for prefix, n in (('train', num_train), ('t10k', num_test)):
        images = np.stack([_image(rng, 28, 28, 1)[..., 0] for _ in range(n)])
        _write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), images)
        _write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), rng.integers(0, 10, n))


def write_imagenet(root, per_class=2, num_val=5, seed=3):
    """ILSVRC-2012 as mmpretrain reads it: ``train/<wnid>/<wnid>_<n>.JPEG``, the validation
    images flat in ``val/ILSVRC2012_val_<8 digits>.JPEG``, and ``meta/train.txt`` /
    ``meta/val.txt`` with ``<relative path> <class index>`` per line."""
    rng = np.random.default_rng(seed)
    train_lines, val_lines = [], []
    for label, wnid in enumerate(IMAGENET_WNIDS):
        for i in range(per_class):
            rel = f'{wnid}/{wnid}_{i + 1}.JPEG'
            _save(osp.join(root, 'train', rel), _image(rng, 60 + 8 * i, 80))
            train_lines.append(f'{rel} {label}')
    for i in range(num_val):
        name = f'ILSVRC2012_val_{i + 1:08d}.JPEG'
        _save(osp.join(root, 'val', name), _image(rng, 72, 64))
        val_lines.append(f'{name} {i % len(IMAGENET_WNIDS)}')
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    for name, lines in (('train.txt', train_lines), ('val.txt', val_lines)):
        with open(osp.join(root, 'meta', name), 'w') as f:
            f.write('\n'.join(lines) + '\n')


# --- super-resolution -----------------------------------------------------------------------
def _bicubic(img, scale):
    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((w // scale, h // scale), Image.BICUBIC))


def write_div2k(root, num_images=3, sub_size=240, seed=4):
    """DIV2K after mmagic's ``tools/dataset_converters/div2k/preprocess_div2k_dataset.py``:
    ``DIV2K_train_HR_sub/<nnnn>_s<mmm>.png`` (sub-images of the HR images),
    ``DIV2K_train_LR_bicubic/X{2,3,4}_sub/`` with the same names, and the meta file
    ``meta_info_DIV2K800sub_GT.txt`` (``<name> (<h>,<w>,3)`` per line); the whole images too
    (``DIV2K_train_HR/<nnnn>.png``, ``DIV2K_train_LR_bicubic/X<s>/<nnnn>x<s>.png``)."""
    rng = np.random.default_rng(seed)
    meta = []
    for i in range(1, num_images + 1):
        hr = _image(rng, 2 * sub_size, sub_size + 24)
        _save(osp.join(root, 'DIV2K_train_HR', f'{i:04d}.png'), hr)
        for s in (2, 3, 4):
            _save(osp.join(root, 'DIV2K_train_LR_bicubic', f'X{s}', f'{i:04d}x{s}.png'),
                  _bicubic(hr, s))
        for j in range(2):
            name = f'{i:04d}_s{j + 1:03d}.png'
            sub = hr[j * sub_size:(j + 1) * sub_size, :sub_size]
            _save(osp.join(root, 'DIV2K_train_HR_sub', name), sub)
            for s in (2, 3, 4):
                _save(osp.join(root, 'DIV2K_train_LR_bicubic', f'X{s}_sub', name),
                      _bicubic(sub, s))
            meta.append(f'{name} ({sub_size},{sub_size},3)')
    with open(osp.join(root, 'meta_info_DIV2K800sub_GT.txt'), 'w') as f:
        f.write('\n'.join(meta) + '\n')


def write_sr_test_sets(data_dir, seed=5):
    """Set5 / Set14 / B100 / Urban100 in mmagic's SISR layout: ``<Set>/GTmod12/<name>.png``
    (HR cropped to a multiple of 12) and ``<Set>/LRbicx{2,3,4}/<name>.png`` (same names)."""
    rng = np.random.default_rng(seed)
    for set_name, names in SR_TEST_SETS.items():
        for k, name in enumerate(names):
            hr = _image(rng, 48 + 12 * k, 60)
            _save(osp.join(data_dir, set_name, 'GTmod12', f'{name}.png'), hr)
            for s in (2, 3, 4):
                _save(osp.join(data_dir, set_name, f'LRbicx{s}', f'{name}.png'), _bicubic(hr, s))


def write_sr_benchmark(root, seed=12):
    """The four test sets in EDSR-PyTorch's ``benchmark.tar`` layout (the official PAMS
    README): ``<Set>/HR/<name>.png`` (sides not multiples of 4) and
    ``<Set>/LR_bicubic/X{2,3,4}/<name>x{s}.png``, made from the HR image cut to a multiple
    of the scale."""
    rng = np.random.default_rng(seed)
    for set_name, names in SR_TEST_SETS.items():
        for k, name in enumerate(names):
            hr = _image(rng, 49 + 6 * k, 62)
            _save(osp.join(root, set_name, 'HR', f'{name}.png'), hr)
            for s in (2, 3, 4):
                cut = hr[:hr.shape[0] // s * s, :hr.shape[1] // s * s]
                _save(osp.join(root, set_name, 'LR_bicubic', f'X{s}', f'{name}x{s}.png'),
                      _bicubic(cut, s))


# --- detection ------------------------------------------------------------------------------
def _box_rle(x, y, bw, bh, w, h):
    """Uncompressed COCO RLE of a box mask: alternating zero/one run lengths over the
    pixels in column-major order, starting with zeros."""
    counts = [x * h + y]
    for col in range(bw):
        counts += [bh, h - bh] if col < bw - 1 else [bh]
    counts.append(h * w - sum(counts))
    return counts


def _coco_split(rng, img_dir, num_images, first_id, ann_id, size=(320, 240)):
    images, annotations = [], []
    for k in range(num_images):
        img_id = first_id + k
        w, h = size
        name = f'{img_id:012d}.jpg'
        _save(osp.join(img_dir, name), _image(rng, h, w))
        images.append(dict(id=img_id, file_name=name, width=w, height=h, license=1,
                           coco_url='', flickr_url='', date_captured=''))
        for j in range(3):
            bw, bh = int(rng.integers(24, 120)), int(rng.integers(24, 120))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            cat = COCO_CATEGORIES[(k * 3 + j) % 10][0]
            poly = [x, y, x + bw, y, x + bw, y + bh, x, y + bh]
            crowd = j == 2 and k == 0  # one crowd region, RLE as in the release
            seg = (dict(counts=_box_rle(x, y, bw, bh, w, h), size=[h, w])
                   if crowd else [[float(v) for v in poly]])
            annotations.append(dict(id=ann_id, image_id=img_id, category_id=cat,
                                    bbox=[float(x), float(y), float(bw), float(bh)],
                                    area=float(bw * bh), iscrowd=int(crowd), segmentation=seg))
            ann_id += 1
    return images, annotations, ann_id


def write_coco(root, years=('2014', '2017'), num_train=4, num_val=3, seed=6):
    """COCO detection: ``<split><year>/<12-digit id>.jpg`` and
    ``annotations/instances_<split><year>.json`` (``info``, ``licenses``, ``images``,
    ``annotations`` with ``bbox`` [x, y, w, h], ``area``, ``iscrowd``, ``segmentation``
    polygons or RLE, ``categories`` with the released ids); 2014 also
    ``instances_minival2014.json`` (a subset of val2014)."""
    rng = np.random.default_rng(seed)
    cats = [dict(id=i, name=n, supercategory=s) for i, n, s in COCO_CATEGORIES]
    head = dict(info=dict(description='mini COCO', version='1.0', year=int(years[0])),
                licenses=[dict(id=1, name='test', url='')])
    next_img, next_ann = 1, 1
    for year in years:
        for split, n in (('train', num_train), ('val', num_val)):
            images, anns, next_ann = _coco_split(rng, osp.join(root, f'{split}{year}'), n,
                                                 next_img, next_ann)
            next_img += n
            _dump_json(osp.join(root, 'annotations', f'instances_{split}{year}.json'),
                       dict(head, images=images, annotations=anns, categories=cats))
            if year == '2014' and split == 'val':
                keep = {im['id'] for im in images[:2]}
                _dump_json(osp.join(root, 'annotations', 'instances_minival2014.json'),
                           dict(head, images=[im for im in images if im['id'] in keep],
                                annotations=[a for a in anns if a['image_id'] in keep],
                                categories=cats))


def write_voc(root, seed=7):
    """``VOCdevkit/VOC2007`` (trainval + test) and ``VOC2012`` (trainval):
    ``Annotations/<id>.xml``, ``JPEGImages/<id>.jpg``, ``ImageSets/Main/<split>.txt``."""
    rng = np.random.default_rng(seed)
    plan = {'VOC2007': {'trainval': 3, 'test': 3}, 'VOC2012': {'trainval': 2}}
    for year, splits in plan.items():
        folder = osp.join(root, year)
        os.makedirs(osp.join(folder, 'ImageSets', 'Main'), exist_ok=True)
        os.makedirs(osp.join(folder, 'Annotations'), exist_ok=True)
        counter = 0
        for split, n in splits.items():
            ids = []
            for _ in range(n):
                counter += 1
                img_id = f'{year[3:]}_{counter:06d}' if year == 'VOC2012' else f'{counter:06d}'
                ids.append(img_id)
                w, h = 150, 110
                _save(osp.join(folder, 'JPEGImages', f'{img_id}.jpg'), _image(rng, h, w))
                ann = ET.Element('annotation')
                ET.SubElement(ann, 'folder').text = year
                ET.SubElement(ann, 'filename').text = f'{img_id}.jpg'
                size = ET.SubElement(ann, 'size')
                for tag, val in (('width', w), ('height', h), ('depth', 3)):
                    ET.SubElement(size, tag).text = str(val)
                ET.SubElement(ann, 'segmented').text = '0'
                for j in range(2):
                    obj = ET.SubElement(ann, 'object')
                    ET.SubElement(obj, 'name').text = VOC_CLASSES[(counter + j * 7) % 20]
                    ET.SubElement(obj, 'pose').text = 'Unspecified'
                    ET.SubElement(obj, 'truncated').text = '0'
                    ET.SubElement(obj, 'difficult').text = str(int(j == 1 and counter % 3 == 0))
                    box = ET.SubElement(obj, 'bndbox')
                    x1, y1 = int(rng.integers(1, w // 2)), int(rng.integers(1, h // 2))
                    x2, y2 = x1 + int(rng.integers(20, w // 2)), y1 + int(rng.integers(20, h // 2))
                    for tag, val in (('xmin', x1), ('ymin', y1), ('xmax', x2), ('ymax', y2)):
                        ET.SubElement(box, tag).text = str(val)
                ET.ElementTree(ann).write(osp.join(folder, 'Annotations', f'{img_id}.xml'))
            with open(osp.join(folder, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
                f.write('\n'.join(ids) + '\n')


def _tinyperson_json(rng, img_dir, names, size):
    """Whole-image TinyPerson annotations (TinyBenchmark's release): COCO-like with
    ``ignore``, ``uncertain``, ``logo``, ``in_dense_image`` flags and two categories
    (sea person, earth person)."""
    w, h = size
    images, anns, ann_id = [], [], 1
    for img_id, name in enumerate(names, 1):
        _save(osp.join(img_dir, name), _image(rng, h, w))
        images.append(dict(id=img_id, file_name=name, width=w, height=h))
        for j in range(6):
            bw, bh = int(rng.integers(4, 20)), int(rng.integers(6, 24))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            anns.append(dict(id=ann_id, image_id=img_id, category_id=1 + j % 2,
                             bbox=[x, y, bw, bh], area=bw * bh, iscrowd=0,
                             ignore=j == 4, uncertain=j == 5, logo=False,
                             in_dense_image=False, segmentation=[[]]))
            ann_id += 1
        # a crowd (ignore) region as the release marks them
        anns.append(dict(id=ann_id, image_id=img_id, category_id=1, bbox=[10, 10, 60, 40],
                         area=2400, iscrowd=0, ignore=True, uncertain=False, logo=False,
                         in_dense_image=True, segmentation=[[]]))
        ann_id += 1
    cats = [dict(id=1, name='sea_person', supercategory='person'),
            dict(id=2, name='earth_person', supercategory='person')]
    return dict(type='instance', images=images, annotations=anns, categories=cats)


def write_tinyperson(root, seed=8, size=(800, 600)):
    """``tiny_set/`` as TinyBenchmark's release: ``train/labeled_images`` and
    ``test/labeled_images`` (jpg), the erased training images in
    ``erase_with_uncertain_dataset/train/labeled_images``, whole-image annotations
    ``annotations/task/tiny_set_{train,test}_all.json`` and
    ``erase_with_uncertain_dataset/annotations/task/tiny_set_train_all.json``. The tile
    (``corner``) files are made from these with tools/dataset_converters/tinyperson_cut.py,
    as the project README says."""
    rng = np.random.default_rng(seed)
    train_names = [f'labeled_images/bb_V{k:04d}_frame.jpg' for k in range(2)]
    test_names = [f'labeled_images/baidu_P{k:03d}.jpg' for k in range(2)]
    train = _tinyperson_json(rng, osp.join(root, 'train'), train_names, size)
    _dump_json(osp.join(root, 'annotations', 'task', 'tiny_set_train_all.json'), train)
    erased = _tinyperson_json(rng, osp.join(root, 'erase_with_uncertain_dataset', 'train'),
                              train_names, size)
    _dump_json(osp.join(root, 'erase_with_uncertain_dataset', 'annotations', 'task',
                        'tiny_set_train_all.json'), erased)
    test = _tinyperson_json(rng, osp.join(root, 'test'), test_names, size)
    _dump_json(osp.join(root, 'annotations', 'task', 'tiny_set_test_all.json'), test)


# --- crowd counting -------------------------------------------------------------------------
def _heads(rng, n, w, h, outside=True):
    pts = np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1)
    if outside:  # annotators' clicks just past the border occur in the released files
        pts[0] = (w + 0.6, h * 0.5)
        pts[1] = (w * 0.5, -0.4)
    return pts


def _save_shanghaitech_mat(path, points):
    """``image_info``: a 1x1 cell holding a 1x1 struct with ``location`` (N x 2 double,
    x, y) and ``number`` (double), as MATLAB saved the released GT_IMG_*.mat."""
    from scipy.io import savemat
    record = np.empty((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    record[0, 0]['location'] = points.astype(np.float64)
    record[0, 0]['number'] = np.array([[float(len(points))]])
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = record
    os.makedirs(osp.dirname(path), exist_ok=True)
    savemat(path, {'image_info': cell})


def write_shanghaitech(root, seed=9):
    """``part_A`` / ``part_B``: ``{train,test}_data/images/IMG_<n>.jpg`` and
    ``{train,test}_data/ground-truth/GT_IMG_<n>.mat``; part A holds grayscale JPEGs among
    its colour ones, as the released set does."""
    from PIL import Image as _I  # noqa: F401  (Pillow saves 'L' mode JPEGs)
    rng = np.random.default_rng(seed)
    for part, (w, h), counts in (('part_A', (200, 152), (30, 12, 45)),
                                 ('part_B', (256, 192), (8, 15, 20))):
        for split, n_img in (('train_data', 3), ('test_data', 2)):
            for k in range(1, n_img + 1):
                gray = part == 'part_A' and k == 2
                img = _image(rng, h, w, 1)[..., 0] if gray else _image(rng, h, w)
                _save(osp.join(root, part, split, 'images', f'IMG_{k}.jpg'), img)
                pts = _heads(rng, counts[(k - 1) % 3], w, h)
                _save_shanghaitech_mat(osp.join(root, part, split, 'ground-truth',
                                                f'GT_IMG_{k}.mat'), pts)


def write_ucf_qnrf(root, seed=10):
    """``UCF-QNRF_ECCV18/{Train,Test}/img_<nnnn>.jpg`` with ``img_<nnnn>_ann.mat``
    (``annPoints``: N x 2 double, x, y)."""
    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    k = 0
    for split, n_img in (('Train', 3), ('Test', 2)):
        for _ in range(n_img):
            k += 1
            w, h = 240 + 16 * k, 180
            _save(osp.join(root, split, f'img_{k:04d}.jpg'), _image(rng, h, w))
            savemat(osp.join(root, split, f'img_{k:04d}_ann.mat'),
                    {'annPoints': _heads(rng, 20 + 5 * k, w, h)})


def write_ucf_cc_50(root, num_images=10, seed=11):
    """``UCF_CC_50/<n>.jpg`` (grayscale, as released) with ``<n>_ann.mat`` (``annPoints``)."""
    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    for k in range(1, num_images + 1):
        w, h = 200, 160
        _save(osp.join(root, f'{k}.jpg'), _image(rng, h, w, 1)[..., 0])
        savemat(osp.join(root, f'{k}_ann.mat'), {'annPoints': _heads(rng, 40 + k, w, h)})


WRITERS = {
    'cifar10': write_cifar10,
    'cifar100': write_cifar100,
    'mnist': write_mnist,
    'imagenet': write_imagenet,
    'DIV2K': write_div2k,
    'coco': write_coco,
    'VOCdevkit': write_voc,
    'tiny_set': write_tinyperson,
    'ShanghaiTech': write_shanghaitech,
    'UCF-QNRF_ECCV18': write_ucf_qnrf,
    'UCF_CC_50': write_ucf_cc_50,
}


def write_all(data_dir):
    """Every mini dataset under ``data_dir`` (the ``data/`` folder the configs read)."""
    for name, writer in WRITERS.items():
        writer(osp.join(data_dir, name))
    write_sr_test_sets(data_dir)
    write_sr_benchmark(osp.join(data_dir, 'benchmark'))
