"""TinyPersonDataset keeps ignore regions, merges categories, reads tiles; bad files fail loudly."""
import json

import numpy as np
import pytest
from mmdet.utils import register_all_modules

import mmlean.projects.tinyperson  # noqa: F401 (registers)
from mmlean.projects.tinyperson import TinyPersonDataset, TinyPersonFormatError, cut_coco


@pytest.fixture(autouse=True)
def _scope():
    register_all_modules(init_default_scope=True)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def scene(gt_factory):
    return gt_factory([(1, 1280, 720)], [
        (1, [10, 10, 10, 20], dict(cat=1)),                   # sea person
        (1, [700, 300, 8, 16], dict(cat=2)),                  # earth person
        (1, [100, 400, 60, 40], dict(ignore=True)),           # ignore region
        (1, [300, 300, 6, 12], dict(uncertain=True))])        # uncertain


def test_ignore_and_uncertain_stay_as_ignore_regions_and_classes_merge(tmp_path, gt_factory):
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'a.json', scene(gt_factory)),
                           data_prefix=dict(img=''), test_mode=True, pipeline=[])
    inst = ds[0]['instances']
    assert [i['ignore_flag'] for i in inst] == [0, 0, 1, 1]
    assert {i['bbox_label'] for i in inst} == {0}
    assert inst[0]['bbox'] == [10, 10, 20, 30]
    assert ds.metainfo['classes'] == ('person',)
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'a.json', scene(gt_factory)),
                           data_prefix=dict(img=''), test_mode=True, pipeline=[],
                           ignore_uncertain=False)
    assert [i['ignore_flag'] for i in ds[0]['instances']] == [0, 0, 1, 0]
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'a.json', scene(gt_factory)),
                           data_prefix=dict(img=''), test_mode=True, pipeline=[], drop_ignore=True)
    assert [i['ignore_flag'] for i in ds[0]['instances']] == [0, 0]


def test_stock_coco_dataset_loses_the_ignore_region(tmp_path, gt_factory):
    from mmdet.datasets import CocoDataset
    ds = CocoDataset(ann_file=write(tmp_path, 'a.json', scene(gt_factory)),
                     data_prefix=dict(img=''), test_mode=True, pipeline=[],
                     metainfo=dict(classes=('sea_person', 'earth_person')))
    assert len(ds[0]['instances']) == 3  # the ignore box is gone (why this dataset exists)


def test_corner_file_maps_tiles_to_their_whole_image(tmp_path, gt_factory):
    corner = cut_coco(scene(gt_factory), (640, 512), (50, 50))
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'c.json', corner), data_prefix=dict(img='imgs'),
                           test_mode=True, pipeline=[])
    assert len(ds) == 6
    assert {ds[i]['ori_img_id'] for i in range(6)} == {1}
    assert ds[0]['tile_corner'] == [0, 0, 640, 512]
    assert ds[0]['img_path'].endswith('labeled_images/1.jpg')
    assert (ds[0]['width'], ds[0]['height']) == (640, 512)


def test_run_time_tiling_matches_the_offline_cut(tmp_path, gt_factory):
    gt = scene(gt_factory)
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'a.json', gt), data_prefix=dict(img=''),
                           test_mode=True, pipeline=[],
                           tile_cfg=dict(size=(640, 512), overlap=(50, 50)))
    offline = cut_coco(gt, (640, 512), (50, 50))
    assert ([ds[i]['tile_corner'] for i in range(len(ds))]
            == [im['corner'] for im in offline['images']])
    n_off = [sum(a['image_id'] == im['id'] for a in offline['annotations'])
             for im in offline['images']]
    assert [len(ds[i]['instances']) for i in range(len(ds))] == n_off
    assert len({ds[i]['img_id'] for i in range(len(ds))}) == len(ds)
    with pytest.raises(ValueError, match='tile_cfg'):
        TinyPersonDataset(ann_file=write(tmp_path, 'a.json', gt), pipeline=[],
                          tile_cfg=dict(tile=(1, 1)))


def test_training_filter_drops_tiles_with_only_ignore_regions(tmp_path, gt_factory):
    gt = gt_factory([(1, 200, 200), (2, 200, 200)],
                    [(1, [10, 10, 10, 20], {}), (2, [5, 5, 50, 50], dict(ignore=True))])
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'a.json', gt), data_prefix=dict(img=''),
                           pipeline=[], filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 1 and ds[0]['img_id'] == 1


@pytest.mark.parametrize('mutate, field', [
    (lambda d: d['annotations'][0].pop('bbox'), "'bbox' is missing"),
    (lambda d: d['annotations'][0].update(bbox=[1, 2, 3]), "'bbox' must be"),
    (lambda d: d['annotations'][0].update(image_id=99), "'image_id' must name"),
    (lambda d: d['annotations'][0].update(ignore='yes'), "'ignore' must be a boolean"),
    (lambda d: d['images'][0].update(corner=[10, 0, 5, 5]), "'corner' must be"),
    (lambda d: d.pop('categories'), "'categories' must be a list"),
])
def test_bad_annotation_files_name_file_entry_and_field(tmp_path, gt_factory, mutate, field):
    gt = scene(gt_factory)
    mutate(gt)
    path = write(tmp_path, 'bad.json', gt)
    with pytest.raises(TinyPersonFormatError, match=field) as e:
        TinyPersonDataset(ann_file=path, data_prefix=dict(img=''), test_mode=True, pipeline=[])
    assert path in str(e.value)


def test_pipeline_crops_the_tile_and_loads_ignore_flags(tmp_path, gt_factory):
    import cv2
    gt = scene(gt_factory)
    img = (np.arange(720 * 1280 * 3) % 251).astype(np.uint8).reshape(720, 1280, 3)
    (tmp_path / 'labeled_images').mkdir()
    cv2.imwrite(str(tmp_path / 'labeled_images' / '1.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 100])
    pipeline = [dict(type='LoadImageFromFile'), dict(type='CropByCorner'),
                dict(type='LoadAnnotations', with_bbox=True)]
    ds = TinyPersonDataset(ann_file=write(tmp_path, 'c.json', cut_coco(gt, (640, 512), (50, 50))),
                           data_prefix=dict(img=str(tmp_path)), test_mode=True, pipeline=pipeline)
    out = ds[4]  # the tile at (590, 208)
    full = cv2.imread(str(tmp_path / 'labeled_images' / '1.jpg'))
    assert out['img'].shape == (512, 640, 3) and out['ori_shape'] == (512, 640)
    assert np.array_equal(out['img'], full[208:720, 590:1230])
    assert out['gt_ignore_flags'].tolist() == [False]  # the earth person
    assert out['gt_bboxes'].numpy().tolist() == [[110, 92, 118, 108]]  # in tile coordinates
    # the ignore region and the uncertain box
    assert ds[3]['gt_ignore_flags'].tolist() == [True, True]
