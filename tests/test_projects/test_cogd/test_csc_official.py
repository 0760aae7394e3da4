"""The official CoGD CSC loop, its correction and its metrics (projects/cogd/csc_official.py),
against hand computations of the MATLAB code's formulas (PSNR_bt.m, SSIM_bt.m,
backtracking_d.m, backtracking_btb.m)."""
import math

import numpy as np
import pytest
import torch

from mmlean.projects.cogd.csc import random_mask, skimage_crops
from mmlean.projects.cogd.csc_official import (OfficialCSCConfig, OfficialLoopCSC, decode_index,
                                               official_psnr, official_ssim, ranked_positions)


def _pair(seed=0, shape=(3, 20, 24)):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    return x, 0.8 * x + 0.3 * torch.randn(*shape, generator=g, dtype=torch.float64) + 2.0


def test_psnr_and_ssim_are_the_matlab_formulas():
    images, rec = _pair()
    psnr, ssim = official_psnr(images, rec), official_ssim(images, rec)
    for i in range(images.shape[0]):
        x, y = images[i].numpy().ravel(), rec[i].numpy().ravel()
        x = (x - x.min()) / (x.max() - x.min())
        y = (y - y.min()) / (y.max() - y.min())
        assert psnr[i] == pytest.approx(20 * math.log10(1) - 10 * math.log10(np.mean((y - x)**2)))
        c1, c2 = 0.01**2, 0.03**2
        cov = np.cov(x, y)[0, 1]  # MATLAB cov(x, y): N - 1
        sx, sy = np.std(x, ddof=1), np.std(y, ddof=1)  # std2
        expected = ((2 * x.mean() * y.mean() + c1) * (2 * cov + c2)
                    / ((x.mean()**2 + y.mean()**2 + c1) * (sx**2 + sy**2 + c2)))
        assert ssim[i] == pytest.approx(expected)
    # GNU Octave 7's cov(x, y) of two matrices: columns of x against columns of y, (1, 2)
    octave = official_ssim(images, rec, covariance='octave7')
    for i in range(images.shape[0]):
        x, y = images[i].numpy(), rec[i].numpy()
        x = (x - x.min()) / (x.max() - x.min())
        y = (y - y.min()) / (y.max() - y.min())
        xc, yc = x - x.mean(0), y - y.mean(0)
        cross = xc.T @ yc / (x.shape[0] - 1)  # Octave 7: (columns of x) x (columns of y)
        c1, c2 = 0.01**2, 0.03**2
        expected = ((2 * x.mean() * y.mean() + c1) * (2 * cross[0, 1] + c2)
                    / ((x.mean()**2 + y.mean()**2 + c1)
                       * (np.var(x, ddof=1) + np.var(y, ddof=1) + c2)))
        assert octave[i] == pytest.approx(expected)
    # min-max normalisation: an affine change of the reconstruction changes nothing
    assert official_psnr(images, 3 * rec - 7) == pytest.approx(psnr)
    assert official_ssim(images, images) == pytest.approx([1.0] * 3)


def test_ranked_positions_skip_the_largest_and_use_matlab_order():
    z_sum = torch.zeros(2, 3, 4, dtype=torch.float64)  # (K, H', W')
    values = [(0, 1, 2, 9.0), (1, 0, 0, 8.0), (0, 2, 3, 7.0), (1, 2, 1, 6.0)]
    for k, row, col, v in values:
        z_sum[k, row, col] = v

    def matlab(k, row, col):  # 0-based column-major linear index of (row, col, k)
        return row + 3 * col + 12 * k

    official = ranked_positions(z_sum, 3, 'official').tolist()
    assert official == [matlab(1, 0, 0), matlab(0, 2, 3), matlab(1, 2, 1)]  # not the 9.0
    top = ranked_positions(z_sum, 2, 'top').tolist()
    assert top == [matlab(0, 1, 2), matlab(1, 0, 0)]


def test_uint8_loop_counter_saturates_the_index():
    # MATLAB / Octave: for i = 1:(uint8(n)), i is uint8, and len3 - i (double - uint8) is a
    # uint8 saturated at 255, so indb(len3 - i) is indb(255) whenever len3 - i > 255
    z_sum = torch.randn(3, 10, 11, generator=torch.Generator().manual_seed(0),
                        dtype=torch.float64)
    flat = z_sum.permute(0, 2, 1).reshape(-1).numpy()  # column-major, as MATLAB's reshape
    indb = np.argsort(flat, kind='stable') + 1  # [B, indb] = sort(z_temp), 1-based
    len3 = flat.size  # 330

    def matlab_loop(count):
        visited = []
        for i in range(1, count + 1):
            k = min(len3 - i, 255)  # uint8 arithmetic
            visited.append(int(indb[k - 1]) - 1)
        return visited

    assert ranked_positions(z_sum, 255, 'official', saturate_at=255).tolist() == matlab_loop(255)
    assert len(set(matlab_loop(255))) == 181  # i = 1..75 read indb(255); i = 76..255 254..75
    small = ranked_positions(z_sum, 10, 'official', saturate_at=255).tolist()
    assert small == [int(indb[254]) - 1] * 10
    # a double counter: the positions the authors meant, from the second largest down
    assert ranked_positions(z_sum, 3, 'official').tolist() == [int(indb[len3 - i]) - 1
                                                               for i in (2, 3, 4)]


def test_decode_index_intended_and_official_off_by_one():
    H, W, K = 110, 110, 100
    rng = np.random.default_rng(0)
    for index in rng.integers(0, H * W * K, 200).tolist():
        row, col, k = np.unravel_index(index, (H, W, K), order='F')
        assert decode_index(index, H, W, page_offset=0) == (k, row, col)
    # MATLAB: d3 = floor((i-1)/len2)+1; d2 = floor(mod(i-1,len2)/len1)+1;
    # d1 = mod(mod(i,len2)-1,len1)+1 with len2 = 110*110+1, i = index + 1
    for index in rng.integers(0, H * W * K, 200).tolist():
        i, len2 = index + 1, H * W + 1
        d3 = (i - 1) // len2 + 1
        d2 = ((i - 1) % len2) // H + 1
        d1 = ((i % len2) - 1) % H + 1
        expected = None if d2 > W else (d3 - 1, d1 - 1, d2 - 1)
        assert decode_index(index, H, W, page_offset=1) == expected
    assert decode_index(12101, H, W, 1) == (1, 0, 0)  # intended: (1, 1, 0)
    assert decode_index(12100, H, W, 1) is None  # the column past the domain


def _solver(rule, mask=None, **cfg):
    images = skimage_crops(3, 24, seed=0)
    options = dict(num_filters=6, filter_size=5, outer_iters=4, inner_iters=3, rule=rule, seed=3)
    options.update(cfg)
    return OfficialLoopCSC(images, mask, OfficialCSCConfig(**options))


@pytest.mark.parametrize('max_positions,expected', [(255, 255), (None, None), (10, 10)])
def test_number_of_positions(max_positions, expected):
    s = _solver('backtrack', max_positions=max_positions, index_page_offset=0,
                loop_counter='double')
    alpha = (4 - 1) / (2 * 4)
    count = round(alpha * s.d.numel())
    assert len(s.positions(alpha)) == (count if expected is None else min(count, expected))
    assert s.positions(0.0) == []


@pytest.mark.parametrize('options,distinct', [(dict(loop_counter='uint8'), 1),
                                              (dict(loop_counter='double'), 255),
                                              (dict(max_positions=None), 1764)])
def test_backtrack_changes_exactly_the_positions(options, distinct):
    s = _solver('backtrack', **options)
    d_old = s.d.clone()
    s.update_filters()
    new = s.d.clone()
    positions = s.positions((4 - 1) / (2 * 4))
    assert s.correct(d_old, 1) == len(positions) == max(distinct, 255)
    # the saturated counter visits one position 255 times (4704 > 255 positions here)
    assert len(set(positions)) == distinct
    expected = new.clone()
    for k, i, j in positions:  # one after another (a drifted index can repeat a position)
        expected[k, i, j] = (1 - 0.99) * expected[k, i, j] + 0.99 * d_old[k, i, j]
    assert torch.equal(s.d, expected)


@pytest.mark.parametrize('options', [dict(loop_counter='uint8'), dict(loop_counter='double'),
                                     dict(max_positions=None)])  # the last vectorised
def test_rescale_is_the_code_of_backtracking_btb(options):
    images = skimage_crops(3, 24, seed=0)
    mask = random_mask(tuple(images.shape), 0.75, seed=1)
    s = _solver('rescale', mask, **options)
    s.update_filters()
    s.z_old = s.z.clone()
    s.update_codes()  # z - z_old is now the change of the last code step
    d_old = s.d.clone()
    s.update_filters()
    new = s.d.clone()
    resid = s.mask * (s.interior(s.synthesize()) - s.b)
    c = 0.05 * float(resid.sum())
    positions = s.positions((4 - 2) / (3 * 4))
    assert s.correct(d_old, 2) == len(positions) > 0
    expected = new.clone()
    for k, i, j in positions:
        dz = (s.z - s.z_old)[:, k, i, j]
        p = min(float(dz.norm()) / abs(float(expected[k, i, j] - d_old[k, i, j]) + 1e-5), 1.0)
        expected[k, i, j] = expected[k, i, j] + d_old[k, i, j] * 0.1 * c * p
    assert torch.allclose(s.d, expected, rtol=1e-12, atol=0)
    assert not torch.equal(s.d, new)


def test_official_loop_learns_and_reverts():
    s = _solver(None)
    start_psnr, previous = s.metrics()['psnr'], s.objective()
    s.run()
    for h in s.history:  # an iteration that lowers neither objective is undone
        if h['reverted']:
            assert h['objective'] == pytest.approx(previous, rel=1e-12)
        previous = h['objective']
    assert s.metrics()['psnr'] > start_psnr
    assert s.history[-1]['objective'] < s.history[0]['objective']
    assert s.filters().shape == (6, 5, 5)
    # the filters handed on are the linear solve's: non-zero off the support
    assert float(s.d[:, ~s.support].abs().max()) > 0


def test_revert_restores_filters_and_codes(monkeypatch):
    s = _solver(None, outer_iters=1)
    d0, z0 = s.d.clone(), s.z.clone()
    monkeypatch.setattr(s, 'objective', lambda d=None, z=None: 1.0)  # no progress
    s.run()
    assert s.history[0]['reverted']
    assert torch.equal(s.d, d0) and torch.equal(s.z, z0)


def test_official_local_cn_is_create_images():
    """CreateImages.m ('local_cn', ZERO_MEAN=1) restated with scipy: rconv2 = a
    convolution over the image mirrored without its border row (scipy 'mirror')."""
    from scipy.ndimage import correlate

    from mmlean.projects.cogd.csc_official import matlab_gaussian, official_local_cn
    r = np.arange(13) - 6.0
    k = np.exp(-(r[:, None]**2 + r[None, :]**2) / (2 * (3 * 1.591)**2))
    k /= k.sum()  # fspecial('gaussian', [13 13], 3*1.591)
    assert np.allclose(matlab_gaussian().numpy(), k, rtol=1e-12, atol=0)
    x = np.random.default_rng(0).random((30, 27))
    x[:8, :8] = 0.5  # a flat patch: local std 0 there
    mean = correlate(x, k, mode='mirror')
    var = np.maximum(correlate(x**2, k, mode='mirror') - mean**2, 0)
    std = np.sqrt(var)
    th = np.sort(std.ravel())[int(np.floor(std.size / 2 + 0.5)) - 1]  # q(round(n/2))
    std[std <= th] = th
    expected = ((x - mean) / std).astype(np.float32)
    expected = expected - expected.mean()
    got = official_local_cn(torch.from_numpy(x)).numpy()
    assert np.allclose(got, expected, atol=1e-6)
    assert abs(got.mean()) < 1e-6 and got.dtype == np.float64


def test_official_gray_and_folder(tmp_path):
    from skimage.io import imsave

    from mmlean.projects.cogd.csc_official import load_official_images, official_gray
    rgb = np.random.default_rng(1).integers(0, 256, (12, 14, 3)).astype(np.uint8)
    gray = official_gray(rgb).numpy()
    expected = (rgb / 255.0) @ np.array([0.298936021293775, 0.587043074451121,
                                         0.114020904255103])  # MATLAB rgb2gray
    assert np.allclose(gray, expected.astype(np.float32), atol=0)
    for name in ('2.png', '10.png', '1.png'):
        imsave(tmp_path / name, rgb, check_contrast=False)
    images = load_official_images(str(tmp_path))
    assert images.shape == (3, 12, 14)
    with pytest.raises(FileNotFoundError, match='no images in'):
        load_official_images(str(tmp_path / 'missing'))
