"""Conv3x3Net: compiled program against the PyTorch reference and plain convs."""
import pytest
import torch
import torch.nn.functional as F

from mmlean.ops import conv3x3_net as cn

needs_op = pytest.mark.skipif(not cn.conv3x3_net_available(),
                              reason='mmlean._ext without conv3x3_net, or no AVX2/FMA')


def random_net(cin=3, size=(16, 48), widths=(5, 7, 13), seed=0):
    """Stem, an identity block with odd widths, a downsampling option-A block
    (stride 2), a conv without ReLU, then pool + linear."""
    g = torch.Generator().manual_seed(seed)

    def conv(ci, co):
        return torch.randn(co, ci, 3, 3, generator=g) * 0.3, torch.randn(co, generator=g) * 0.1

    c0, mid, c1 = widths
    b = cn.Conv3x3NetBuilder((cin, *size))
    s = b.conv(0, *conv(cin, c0))
    t = b.conv(s, *conv(c0, mid))
    s = b.conv(t, *conv(mid, c0), residual=s, dst=s)          # in place, identity shortcut
    t = b.conv(s, *conv(c0, mid), stride=2)
    r = b.shortcut_a(s, c1, 2)
    s = b.conv(t, *conv(mid, c1), residual=r, dst=r)
    s2 = b.conv(s, *conv(c1, c1), relu=False)
    b.gap_linear(s2, torch.randn(4, c1, generator=g), torch.randn(4, generator=g))
    return b.build(), g


def plain(x, net):
    """The same network written with torch ops, independent of the program."""
    w, bias, rows = net.weight, net.bias, net.program.tolist()

    def conv(i, inp):
        _, _, _, _, ci, co, _, _, stride, _, wo, bo = rows[i]
        return F.conv2d(inp, w[wo:wo + co * ci * 9].view(co, ci, 3, 3), bias[bo:bo + co],
                        stride, 1)

    s = F.relu(conv(0, x))
    s = F.relu(conv(2, F.relu(conv(1, s))) + s)
    c0, c1 = rows[0][5], rows[5][5]
    r = F.pad(s[:, :, ::2, ::2], (0, 0, 0, 0, (c1 - c0) // 2, c1 - c0 - (c1 - c0) // 2))
    s = F.relu(conv(5, F.relu(conv(3, s))) + r)
    s = conv(6, s)
    *_, ci, co, _, _, _, _, wo, bo = rows[7]
    return F.linear(s.mean((2, 3)), w[wo:wo + co * ci].view(co, ci), bias[bo:bo + co])


def test_reference_matches_plain_torch():
    net, g = random_net()
    x = torch.randn(2, 3, 16, 48, generator=g)
    out = cn.conv3x3_net_reference(x, net.program, net.weight, net.bias)
    assert torch.allclose(out, plain(x, net), atol=1e-6)
    assert net.conv_channels() == [(3, 5), (5, 7), (7, 5), (5, 7), (7, 13), (13, 13)]
    assert net.macs() == sum(ci * co * 9 for ci, co in net.conv_channels()[:3]) * 16 * 48 + \
        sum(ci * co * 9 for ci, co in net.conv_channels()[3:]) * 8 * 24 + 13 * 4


@needs_op
@pytest.mark.parametrize('widths', [(5, 7, 13), (16, 1, 32), (8, 6, 12), (3, 11, 9)])
@pytest.mark.parametrize('batch', [1, 3])
def test_compiled_matches_reference(widths, batch):
    net, g = random_net(widths=widths, seed=sum(widths))
    assert net.use_ext
    x = torch.randn(batch, 3, 16, 48, generator=g)
    out = net(x)
    ref = cn.conv3x3_net_reference(x, net.program, net.weight, net.bias)
    assert out.shape == (batch, 4)
    assert torch.allclose(out, ref, atol=1e-5, rtol=1e-5), (out - ref).abs().max()
    # channels_last input and a second call (the workspace is reused) agree
    assert torch.allclose(net(x.contiguous(memory_format=torch.channels_last)), out, atol=0)


@needs_op
@pytest.mark.parametrize('cout', list(range(1, 20)) + [26, 39, 58, 64])
def test_every_channel_count_and_width(cout):
    g = torch.Generator().manual_seed(cout)
    for h, w in ((8, 8), (5, 16), (32, 32)):
        b = cn.Conv3x3NetBuilder((6, h, w))
        s = b.conv(0, torch.randn(cout, 6, 3, 3, generator=g), torch.randn(cout, generator=g))
        b.gap_linear(s, torch.eye(cout), None)
        net = b.build()
        x = torch.randn(1, 6, h, w, generator=g)
        ref = cn.conv3x3_net_reference(x, net.program, net.weight, net.bias)
        assert torch.allclose(net(x), ref, atol=1e-5), (cout, h, w)


def test_builder_rejects_what_the_kernel_cannot_run():
    b = cn.Conv3x3NetBuilder((3, 8, 12))
    with pytest.raises(ValueError, match='not a multiple of 8'):
        b.conv(0, torch.randn(4, 3, 3, 3), None)
    b = cn.Conv3x3NetBuilder((3, 8, 8))
    with pytest.raises(ValueError, match='does not read 3 channels'):
        b.conv(0, torch.randn(4, 2, 3, 3), None)
    s = b.conv(0, torch.randn(4, 3, 3, 3), None)
    with pytest.raises(ValueError, match='cannot write its own input'):
        b.conv(s, torch.randn(4, 4, 3, 3), None, dst=s)
    with pytest.raises(ValueError, match='must end with gap_linear'):
        b.build()


@needs_op
def test_compiled_op_checks_the_program():
    net, g = random_net()
    x = torch.randn(1, 3, 16, 48, generator=g)
    bad = net.program.clone()
    bad[1, 1] = 9  # reads a buffer nobody wrote
    with pytest.raises(RuntimeError, match='before it is written'):
        cn.ext_module.conv3x3_net_forward(x, bad, net.weight_packed, net.bias)
    bad = net.program.clone()
    bad[0, 10] = net.weight.numel()  # weights past the end
    with pytest.raises(RuntimeError, match='out of range'):
        cn.ext_module.conv3x3_net_forward(x, bad, net.weight_packed, net.bias)
    with pytest.raises(ValueError, match='built for inputs'):
        net(torch.randn(1, 3, 16, 16))
