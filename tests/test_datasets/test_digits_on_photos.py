"""The digits-on-photos proxy (mmlean/datasets/digits_on_photos.py) and its writer."""
import numpy as np
import pytest

from mmlean.datasets.digits_on_photos import (DigitsOnPhotosDataset, RenderParams, load_digit_split,
                                              render, render_split)


def test_fixed_test_set_of_held_out_digits():
    full = DigitsOnPhotosDataset(split='test', pipeline=[])
    assert len(full) == 3240  # 360 held-out digits x 9 renders
    labels = np.array([full.get_data_info(i)['gt_label'] for i in range(len(full))])
    assert np.bincount(labels, minlength=10).min() >= 300
    item = full[0]
    assert item['img'].shape == (32, 32, 3) and item['img'].dtype == np.uint8
    once = DigitsOnPhotosDataset(split='test', renders_per_digit=1, pipeline=[])
    assert all(np.array_equal(full[i]['img'], once[i]['img']) for i in (0, 200, 359))
    other = DigitsOnPhotosDataset(split='test', renders_per_digit=1, test_seed=1, pipeline=[])
    assert not np.array_equal(full[0]['img'], other[0]['img'])


def test_train_and_test_digits_are_disjoint():
    from sklearn.datasets import load_digits
    train, _ = load_digit_split('train')
    test, _ = load_digit_split('test')
    assert len(train) + len(test) == len(load_digits().target)
    train_rows = {d.tobytes() for d in train}
    # distinct source images: no held-out digit is a training digit (pixel-identical
    # duplicates in scikit-learn's set aside)
    shared = sum(d.tobytes() in train_rows for d in test)
    assert shared <= 2


def test_training_renders_are_fresh_and_seeded():
    ds = DigitsOnPhotosDataset(split='train', renders_per_digit=2, pipeline=[])
    assert len(ds) == 2 * 1437
    np.random.seed(0)
    a = ds[5]['img']
    b = ds[5]['img']
    assert not np.array_equal(a, b)  # a new render on every access
    assert ds[5]['gt_label'] == ds[5 + 1437]['gt_label']  # the same digit, twice per epoch
    np.random.seed(0)
    assert np.array_equal(ds[5]['img'], a)  # reproducible under the run's seed
    small = DigitsOnPhotosDataset(split='train', image_size=16, pipeline=[])
    assert small[0]['img'].shape == (16, 16, 3)


def test_the_digit_is_drawn_where_the_parameters_put_it():
    digit = np.zeros((8, 8), np.float32)
    digit[1:7, 3:5] = 1.0  # a bar
    grey = [np.full((200, 200, 3), 100, np.uint8)]
    plain = RenderParams(digit_height=(0.75, 0.75), rotation=0.0, shift=0.0, alpha=(1.0, 1.0),
                         difference=1.0, distractor=0.0, noise=0.0)
    img = render(digit, grey, np.random.default_rng(0), params=plain).astype(float)
    changed = np.abs(img - 100).sum(2) > 30
    rows, cols = np.nonzero(changed)
    assert abs(rows.mean() - 15.5) < 1.0 and abs(cols.mean() - 15.5) < 1.0
    assert 18 <= rows.max() - rows.min() + 1 <= 24  # 6/8 of 24 px, blurred by the resize
    assert cols.max() - cols.min() + 1 <= 9
    # difference blend: |100 - 255| = 155 inside the bar
    assert img[15, 15].tolist() == [155, 155, 155]
    # a distractor alone (the main digit fully transparent) is cut by the border
    only = RenderParams(alpha=(0.0, 0.0), distractor=1.0, distractor_alpha=(1.0, 1.0),
                        difference=1.0, noise=0.0)
    block = np.ones((8, 8), np.float32)
    for seed in range(5):
        img = render(digit, grey, np.random.default_rng(seed), distractor=block,
                     params=only).astype(float)
        changed = np.abs(img - 100).sum(2) > 30
        border = np.concatenate([changed[0], changed[-1], changed[:, 0], changed[:, -1]])
        assert changed.any() and border.any()
        assert not changed.all()  # partly in view


@pytest.mark.parametrize('grey', [20, 100, 240])
def test_light_polarity_draws_the_digit_lighter_than_what_it_covers(grey):
    """polarity='light': in BT.601 luma the digit is at least min_contrast above the
    background it covers, on dark, mid and bright (darkened) crops alike."""
    digit = np.zeros((8, 8), np.float32)
    digit[1:7, 3:5] = 1.0
    photo = [np.full((200, 200, 3), grey, np.uint8)]
    params = RenderParams(digit_height=(0.75, 0.75), rotation=0.0, shift=0.0,
                          alpha=(1.0, 1.0), difference=0.0, distractor=0.0, noise=0.0)
    luma = np.array([0.299, 0.587, 0.114])
    for seed in range(20):
        img = render(digit, photo, np.random.default_rng(seed), params=params).astype(float)
        inside, outside = img[15, 15] @ luma, img[15, 2] @ luma
        assert inside - outside >= params.min_contrast - 1.0  # uint8 rounding
        assert outside == pytest.approx(min(grey, 255 - params.min_contrast), abs=1.0)
    # 'any' keeps the random colour (only a colour too close to the crop flips), so
    # some digits come out darker than the crop
    anyway = RenderParams(**{**params.__dict__, 'polarity': 'any'})
    darker = [render(digit, photo, np.random.default_rng(seed), params=anyway)[15, 15] @ luma
              < grey for seed in range(20)]
    assert grey == 20 or any(darker)


def test_bad_arguments_name_the_field():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        DigitsOnPhotosDataset(split='val')
    with pytest.raises(ValueError, match='image_size must be 16 or 32'):
        DigitsOnPhotosDataset(split='test', image_size=28)
    with pytest.raises(ValueError, match='renders_per_digit must be >= 1'):
        DigitsOnPhotosDataset(split='train', renders_per_digit=-1)
    with pytest.raises(ValueError, match="polarity must be 'light' or 'any'"):
        DigitsOnPhotosDataset(split='test', render_cfg=dict(polarity='dark'))
    with pytest.raises(ValueError, match='render_cfg.*the fields are'):
        DigitsOnPhotosDataset(split='test', render_cfg=dict(height=3))


def test_writer_output_reads_as_a_custom_dataset(run_python, repo_root, tmp_path):
    from mmpretrain.datasets import CustomDataset
    out = tmp_path / 'dop'
    done = run_python('tools/dataset_converters/digits_on_photos.py', '--out', str(out),
                      '--image-size', '16', '--train-renders', '1', '--test-renders', '1')
    assert done.returncode == 0, done.stderr
    test = CustomDataset(data_root=str(out), data_prefix='test', ann_file='meta/test.txt',
                         pipeline=[dict(type='LoadImageFromFile')])
    assert len(test) == 360 and (out / 'preview.png').exists()
    img = test[0]['img'][..., ::-1]  # BGR -> RGB
    expected, labels = render_split('test', 1, 2020, image_size=16)
    assert np.array_equal(img, expected[0]) and test.get_data_info(0)['gt_label'] == labels[0]
    assert len((out / 'meta' / 'train.txt').read_text().splitlines()) == 1437
