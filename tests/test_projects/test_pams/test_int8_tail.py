"""Int8 upsampler + last conv (beyond PAMS) vs an FP32 recomputation and the fake-quantized net."""
import pytest
import torch
import torch.nn.functional as F

from .conftest import calibrate, small_edsr, small_rdn


def pams_net(build, cfg, **kw):
    import mmlean.projects.pams as pams
    torch.manual_seed(0)
    net = build(cfg(**kw) if kw else cfg()).eval()
    return calibrate(pams.quantize_sr_generator(net, 8), 2, 3, 12, 12)


def fake_grid(x, grid):
    s, z, n = grid
    return (torch.clamp(torch.round(x / s) + z, 0, n) - z) * s


def fake_conv(conv, x, weight_bits):
    qmax = 2 ** (weight_bits - 1) - 1
    m = conv.weight.abs().amax(dim=(1, 2, 3), keepdim=True) + 1e-8
    w = torch.round(conv.weight * qmax / m) * m / qmax
    return F.conv2d(x, w, conv.bias, padding=conv.padding)


def reference_tail(net, up, feat, weight_bits):
    """The original modules (channel order, mean/std) with every input rounded onto up's grids."""
    from mmlean.projects.pams.int8_tail import IMAGE_GRID, sr_tail
    stages, last, mean, std = sr_tail(net)
    x = feat
    for (conv, factor), q in zip(stages, up.convs):
        x = F.pixel_shuffle(fake_conv(conv, fake_grid(x, q.in_grid), weight_bits), factor)
    y = fake_conv(last, fake_grid(x, up.last.in_grid), weight_bits)
    return fake_grid(y * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1), IMAGE_GRID)


def test_pixel_shuffle_of_the_reordered_conv_is_torchs():
    from mmlean.projects.pams.int8_tail import pixel_shuffle_cl, shuffle_major
    conv = torch.nn.Conv2d(5, 12, 3, padding=1)
    x = torch.randn(2, 5, 6, 7)
    with torch.no_grad():
        ref = F.pixel_shuffle(conv(x), 2)
        got = pixel_shuffle_cl(shuffle_major(conv, 2)(x.contiguous(
            memory_format=torch.channels_last)), 2)
    assert got.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(got, ref, atol=1e-6)


@pytest.mark.parametrize('arch', ['edsr', 'rdn'])
@pytest.mark.parametrize('act_bits,weight_bits', [(8, 8), (7, 8), (8, 7)])
def test_int8_upsampler_matches_the_integer_reference(build, arch, act_bits, weight_bits):
    from mmlean.projects.pams.int8_tail import Int8Upsampler, calibrate_tail
    from mmlean.quant.int8 import select_engine
    select_engine()
    if arch == 'edsr':
        net, channels = pams_net(build, small_edsr, upscale_factor=4), 16
    else:
        net, channels = pams_net(build, small_rdn), 8
    calib = [torch.rand(1, 3, 12, 12) for _ in range(2)]
    up = Int8Upsampler(net, calibrate_tail(net, calib), act_bits, weight_bits)
    assert len(up.convs) == (2 if arch == 'edsr' else 1)
    feat = torch.randn(2, channels, 9, 9)
    with torch.no_grad():
        got = up(feat)
        ref = reference_tail(net, up, feat, weight_bits)
    assert got.shape == ref.shape
    levels = (got - ref).abs() * 255
    # each requantization may differ by one level where the FP32 sum sits on a rounding
    # boundary; such a flip moves the next layer's output by a fraction of a level
    assert (levels > 0.5).float().mean() < 0.02
    assert levels.max() <= 2 + 1e-4
    assert got.min() >= 0 and got.max() <= 1  # the 8-bit image


def test_int8_edsr_with_int8_tail_tracks_the_fake_quantized_model(build):
    from mmlean.projects.pams.deploy import Int8EDSR
    net = pams_net(build, small_edsr, upscale_factor=4)
    x = torch.rand(2, 3, 12, 12)
    with torch.no_grad():
        ref = net(x).clamp(0, 1)
    body_only = Int8EDSR(net)
    full = Int8EDSR(net, int8_tail=True, calib=[torch.rand(1, 3, 12, 12) for _ in range(4)])
    assert body_only.tail is None and full.tail is not None
    got = full(x)
    assert got.shape == ref.shape == (2, 3, 48, 48)
    # random weights, 4 random calibration images: a loose bound; the README measures PSNR
    assert (got - ref).abs().mean() * 255 < 2
    with pytest.raises(ValueError, match='needs calibration images'):
        Int8EDSR(net, int8_tail=True)
