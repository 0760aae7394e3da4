"""Crop, flip and resize keep points, sigmas and density maps consistent; the packed
sample carries density and count."""
import numpy as np
import pytest

from mmlean.projects.nascount.datasets import (ComputeHeadSigmas, DownsampleDensity,
                                               GenerateDensityMap, PackCountingInputs,
                                               RandomCropWithPoints, RandomFlipWithPoints,
                                               ResizeWithPoints, adaptive_sigmas)


def _results(h=60, w=80, n=40, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (h, w, 3)).astype(np.uint8)
    pts = np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1).astype(np.float32)
    return dict(img=img, gt_points=pts, img_shape=(h, w), ori_shape=(h, w))


def test_crop_keeps_heads_inside_and_their_sigmas():
    np.random.seed(3)
    r = _results()
    full_pts = r['gt_points'].copy()
    sig_full = adaptive_sigmas(full_pts)
    r = ComputeHeadSigmas()(r)
    r = RandomCropWithPoints((32, 48))(r)
    x0, y0 = r['crop_offset']
    inside = ((full_pts[:, 0] >= x0) & (full_pts[:, 0] < x0 + 48) & (full_pts[:, 1] >= y0)
              & (full_pts[:, 1] < y0 + 32))
    np.testing.assert_allclose(r['gt_points'], full_pts[inside] - [x0, y0], atol=1e-5)
    np.testing.assert_allclose(r['gt_sigmas'], sig_full[inside])
    assert r['img'].shape == (32, 48, 3) and r['gt_count'] == inside.sum()
    r = GenerateDensityMap('adaptive')(r)
    assert abs(r['gt_density'].sum() - inside.sum()) < 1e-4


def test_crop_pads_small_images():
    r = _results(h=20, w=30, n=5)
    r = RandomCropWithPoints(32)(r)
    assert r['img'].shape == (32, 32, 3) and r['gt_count'] == 5
    assert (r['img'][20:] == 0).all()


def test_flip_by_hand_and_density_follows():
    r = _results(h=10, w=12, n=0)
    r['gt_points'] = np.array([[0.5, 1.5], [11.2, 3.0], [0.0, 9.0]], np.float32)
    r = GenerateDensityMap('fixed', sigma=0.0)(r)  # point masses: pixel (floor y, floor x)
    img = r['img'].copy()
    r = RandomFlipWithPoints(prob=1.0)(r)
    np.testing.assert_array_equal(r['img'], img[:, ::-1])
    np.testing.assert_allclose(r['gt_points'][:2], [[11.5, 1.5], [0.8, 3.0]], atol=1e-6)
    assert r['gt_points'][2, 0] < 12
    # the flipped density equals the density of the flipped points
    again = GenerateDensityMap('fixed', sigma=0.0)(dict(r))['gt_density']
    np.testing.assert_array_equal(r['gt_density'], again)


def test_resize_long_side_scales_points_and_keeps_count():
    r = _results(h=60, w=100, n=30)
    pts = r['gt_points'].copy()
    r = ComputeHeadSigmas()(r)
    sig = r['gt_sigmas'].copy()
    r = ResizeWithPoints(max_long_side=50)(r)
    assert r['img'].shape[:2] == (30, 50)
    np.testing.assert_allclose(r['gt_points'], pts * 0.5, atol=1e-5)
    np.testing.assert_allclose(r['gt_sigmas'], sig * 0.5, atol=1e-6)
    r = GenerateDensityMap('adaptive')(r)
    assert abs(r['gt_density'].sum() - 30) < 1e-4
    # no resize below the limit; a density made before resizing is refused
    small = ResizeWithPoints(max_long_side=500)(_results(h=60, w=100))
    assert small['img'].shape[:2] == (60, 100)
    with pytest.raises(ValueError, match='GenerateDensityMap after ResizeWithPoints'):
        ResizeWithPoints(max_long_side=50)(GenerateDensityMap('fixed', sigma=3)(_results()))


def test_pipeline_pack_downsampled_density():
    r = _results(h=61, w=83, n=25)
    r = GenerateDensityMap('fixed', sigma=4.0)(r)
    r = DownsampleDensity(8)(r)
    out = PackCountingInputs()(r)
    s = out['data_samples']
    assert out['inputs'].shape == (3, 61, 83)
    assert tuple(s.gt_density.shape) == (1, 8, 11)
    assert abs(float(s.gt_density.double().sum()) - 25) < 1e-4
    assert s.gt_count == 25 and s.density_stride == 8
