"""binary_conv2d: compiled op against the pure-PyTorch reference, exactly."""

import pytest
import torch
import torch.nn.functional as F

from mmlean.ops import binary_conv as bc

needs_ext = pytest.mark.skipif(bc.ext_module is None, reason='mmlean._ext not built')


def make_case(n, cin, cout, h, w, k, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, cin, h, w, generator=g)
    weight = torch.randn(cout, cin, k, k, generator=g)
    thr = torch.randn(n, generator=g) * 0.1
    return x, weight, thr


def direct_reference(x, weight, thr, stride, padding, dilation=1, groups=1):
    """Independent of the packing code: float conv of +-1 tensors."""
    xs = torch.where(x < thr.view(-1, 1, 1, 1), -1.0, 1.0)
    ws = torch.where(weight < 0, -1.0, 1.0)
    return F.conv2d(xs, ws, None, stride, padding, dilation, groups)


def make_grouped_case(n, cin, cout, h, w, k, groups, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, cin, h, w, generator=g)
    weight = torch.randn(cout, cin // groups, k, k, generator=g)
    thr = torch.randn(n, generator=g) * 0.1
    return x, weight, thr


def test_weight_pack_roundtrip_and_neg_count():
    _, weight, _ = make_case(1, 70, 13, 1, 1, 3, 0)
    packed = bc.pack_binary_weight(weight)
    assert packed.blocked.shape == (2, 3, 3, 2, 8)
    assert torch.equal(bc.unpack_binary_weight(packed), torch.where(weight < 0, -1.0, 1.0))
    neg = packed.neg_count
    assert neg.shape == (3, 3, 16)
    assert torch.equal(neg[:, :, :13].permute(2, 0, 1), (weight < 0).sum(1).int())
    assert neg[:, :, 13:].abs().sum() == 0


@pytest.mark.parametrize('cin,cout,groups', [(70, 13, 1), (48, 18, 2), (65, 65, 65),
                                             (130, 130, 130), (6, 12, 6), (1, 1, 1)])
def test_grouped_weight_pack_roundtrip(cin, cout, groups):
    _, weight, _ = make_grouped_case(1, cin, cout, 1, 1, 3, groups, 0)
    packed = bc.pack_binary_weight(weight, groups)
    assert (packed.in_channels, packed.out_channels, packed.groups) == (cin, cout, groups)
    assert packed.kernel_size == (3, 3)
    assert torch.equal(bc.unpack_binary_weight(packed), torch.where(weight < 0, -1.0, 1.0))
    if packed.depthwise:  # 64 channels per word: 1 bit per weight
        assert packed.blocked.shape == (3, 3, (cin + 63) // 64)
        return
    cout_g, blocks = cout // groups, (cout // groups + 7) // 8
    assert packed.blocked.shape == (groups * blocks, 3, 3, (cin // groups + 63) // 64, 8)
    neg = packed.neg_count.permute(2, 0, 1).reshape(groups, blocks * 8, 3, 3)
    expected = (weight < 0).sum(1).int().reshape(groups, cout_g, 3, 3)
    assert torch.equal(neg[:, :cout_g], expected)
    assert neg[:, cout_g:].abs().sum() == 0


def test_pack_rejects_bad_groups():
    with pytest.raises(ValueError, match='groups=3'):
        bc.pack_binary_weight(torch.randn(8, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match='groups=0'):
        bc.pack_binary_weight(torch.randn(8, 2, 3, 3), groups=0)


@pytest.mark.parametrize('k,stride,padding', [(3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0),
                                              (3, 1, 0), (3, 2, 0)])
def test_reference_equals_direct_conv(k, stride, padding):
    x, weight, thr = make_case(2, 70, 12, 9, 8, k, 1)
    packed = bc.pack_binary_weight(weight)
    got = bc.binary_conv2d_reference(x, thr, packed, stride, padding, int_output=True)
    assert torch.equal(got.float(), direct_reference(x, weight, thr, stride, padding))


SHAPES = [
    # n, cin, cout, h, w, k, stride, padding
    (1, 64, 64, 8, 8, 3, 1, 1),
    (2, 3, 5, 7, 6, 3, 1, 1),
    (1, 65, 17, 9, 13, 3, 2, 1),
    (3, 130, 40, 5, 5, 3, 1, 1),
    (1, 128, 256, 14, 14, 3, 2, 1),
    (2, 64, 128, 10, 10, 1, 2, 0),
    (1, 200, 24, 6, 7, 1, 1, 0),
    (1, 16, 16, 32, 32, 3, 1, 1),
    (2, 32, 8, 4, 4, 3, 1, 0),
    (1, 512, 512, 3, 3, 3, 1, 1),
    (1, 64, 64, 1, 1, 3, 1, 1),
    (2, 8, 24, 15, 1, 3, 2, 1),
    # few channels per word, large maps (AVX2: the taps' bits concatenated)
    (1, 32, 32, 20, 19, 3, 1, 1),
    (2, 48, 48, 17, 16, 3, 1, 1),
    (1, 48, 40, 9, 11, 3, 2, 1),
    (1, 96, 24, 7, 9, 3, 1, 1),
    (1, 96, 16, 9, 9, 5, 1, 2),  # 38 concatenated words: byte counters folded
    (1, 130, 9, 6, 5, 3, 1, 0),
    # 1x1
    (1, 256, 256, 14, 14, 1, 1, 0),
    (2, 128, 20, 5, 7, 1, 1, 0),
]


@needs_ext
@pytest.mark.parametrize('shape', SHAPES, ids=str)
@pytest.mark.parametrize('channels_last', [True, False])
def test_ext_integer_results_equal_reference(shape, channels_last):
    n, cin, cout, h, w, k, stride, padding = shape
    x, weight, thr = make_case(n, cin, cout, h, w, k, sum(shape))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    packed = bc.pack_binary_weight(weight)
    got = bc.binary_conv2d(x, thr, packed, stride, padding, int_output=True)
    expected = direct_reference(x, weight, thr, stride, padding)
    assert got.dtype == torch.int32
    assert got.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(got.float(), expected)


@needs_ext
@pytest.mark.parametrize('shape', SHAPES[:6], ids=str)
def test_ext_epilogue_equals_reference_bit_for_bit(shape):
    n, cin, cout, h, w, k, stride, padding = shape
    x, weight, thr = make_case(n, cin, cout, h, w, k, 7)
    scale = torch.rand(cout) + 0.5
    bias = torch.randn(cout)
    packed = bc.pack_binary_weight(weight)
    got = bc.binary_conv2d(x, thr, packed, stride, padding, scale, bias)
    ref = bc.binary_conv2d_reference(x, thr, packed, stride, padding, scale, bias)
    assert torch.equal(got, ref)  # same float ops: y * scale, then + bias


GROUPED_SHAPES = [
    # n, cin, cout, h, w, k, stride, padding, dilation, groups
    (1, 48, 48, 9, 8, 3, 1, 2, 2, 48),     # DilConv's depthwise 3x3
    (2, 65, 65, 7, 9, 5, 1, 4, 2, 65),     # DilConv 5x5
    (1, 130, 130, 8, 8, 3, 2, 1, 1, 130),  # SepConv, stride 2
    (1, 3, 3, 6, 5, 5, 2, 2, 1, 3),
    (1, 300, 300, 5, 6, 3, 1, 1, 1, 300),  # several 256/512-channel vectors
    (2, 64, 64, 4, 4, 1, 1, 0, 1, 64),     # 1x1 depthwise
    (1, 20, 20, 5, 5, 3, 1, 3, 1, 20),     # padding wider than the kernel
    (1, 17, 17, 16, 30, 13, 1, 6, 1, 17),  # 169 taps: the wide-counter path
    (1, 48, 24, 9, 7, 3, 1, 2, 2, 2),
    (2, 130, 18, 6, 6, 5, 2, 2, 1, 2),
    (2, 16, 16, 5, 21, 5, 1, 4, 2, 16),    # wide rows: several pixels per vector
    (1, 48, 48, 6, 21, 3, 2, 1, 1, 48),    # ... at stride 2
    (1, 100, 100, 7, 17, 5, 2, 2, 1, 100),
    (1, 12, 24, 7, 7, 3, 1, 1, 1, 12),     # channel multiplier 2 (general path)
    (1, 65, 9, 8, 8, 3, 2, 2, 2, 1),       # dilated, no groups
    (1, 130, 16, 10, 9, 5, 1, 4, 2, 1),
]


@needs_ext
@pytest.mark.parametrize('shape', GROUPED_SHAPES, ids=str)
def test_ext_grouped_dilated_equals_reference(shape):
    n, cin, cout, h, w, k, stride, padding, dilation, groups = shape
    x, weight, thr = make_grouped_case(n, cin, cout, h, w, k, groups, sum(shape))
    packed = bc.pack_binary_weight(weight, groups)
    got = bc.binary_conv2d(x, thr, packed, stride, padding, int_output=True,
                           dilation=dilation, groups=groups)
    expected = direct_reference(x, weight, thr, stride, padding, dilation, groups)
    assert got.dtype == torch.int32 and got.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(got.float(), expected)
    ref = bc.binary_conv2d_reference(x, thr, packed, stride, padding, int_output=True,
                                     dilation=dilation)
    assert torch.equal(ref.float(), expected)
    # float epilogue and the in-op per-sample mean, bit for bit
    scale, bias = torch.rand(cout) + 0.5, torch.randn(cout)
    got = bc.binary_conv2d(x, None, packed, stride, padding, scale, bias, dilation=dilation)
    ref = bc.binary_conv2d_reference(x, None, packed, stride, padding, scale, bias,
                                     dilation=dilation)
    assert torch.equal(got, ref)


@needs_ext
@pytest.mark.parametrize('k', [5, 11])
def test_ext_depthwise_extreme_counts(k):
    """All taps agree (+taps) or all disagree (-taps): the largest counts the
    depthwise counters hold, and exactly the taps inside at the border."""
    c = 70
    x = torch.ones(1, c, 13, 14)
    weight = torch.ones(c, 1, k, k)
    weight[::2] = -1
    packed = bc.pack_binary_weight(weight, c)
    got = bc.binary_conv2d(x, torch.zeros(1), packed, 1, k // 2, int_output=True)
    expected = direct_reference(x, weight, torch.zeros(1), 1, k // 2, 1, c)
    assert torch.equal(got.float(), expected)
    assert got.abs().max().item() == k * k


@needs_ext
def test_random_shapes_all_isa_paths():
    """Every run-time ISA path (capped with MMLEAN_CPU_ISA) is exact."""
    import os
    import subprocess
    import sys
    code = '''
import itertools, random, torch, torch.nn.functional as F
from mmlean.ops import binary_conv as bc
random.seed(0); torch.manual_seed(0)
for _ in range(12):
    n = random.randint(1, 3); cin = random.choice([1, 7, 63, 64, 65, 128, 190])
    cout = random.choice([1, 8, 9, 16, 24, 33])
    h = random.randint(1, 12); w = random.randint(1, 15)
    k = random.choice([1, 3]); stride = random.choice([1, 2])
    pad = random.choice([0, 1]) if k == 3 else 0
    if h + 2 * pad < k or w + 2 * pad < k: continue
    x = torch.randn(n, cin, h, w); wt = torch.randn(cout, cin, k, k); thr = torch.randn(n) * 0.1
    p = bc.pack_binary_weight(wt)
    got = bc.binary_conv2d(x, thr, p, stride, pad, int_output=True).float()
    exp = F.conv2d(torch.where(x < thr.view(-1, 1, 1, 1), -1., 1.), torch.where(wt < 0, -1., 1.),
                   None, stride, pad)
    assert torch.equal(got, exp), (n, cin, cout, h, w, k, stride, pad)
for _ in range(24):  # grouped (depthwise too) and dilated
    cin = random.choice([3, 48, 65, 130]); groups = random.choice([1, 2, cin])
    if cin % groups: groups = cin
    cout = cin if groups == cin else groups * random.randint(1, 12)
    k = random.choice([1, 3, 5]); d = random.choice([1, 2]); stride = random.choice([1, 2])
    pad = random.randint(0, d * (k // 2)); n = random.randint(1, 2)
    h = random.randint(max(1, d * (k - 1) + 1 - 2 * pad), 11); w = random.randint(1, 23)
    if w + 2 * pad < d * (k - 1) + 1: w = d * (k - 1) + 1
    x = torch.randn(n, cin, h, w).contiguous(memory_format=torch.channels_last)
    wt = torch.randn(cout, cin // groups, k, k); thr = torch.randn(n) * 0.1
    p = bc.pack_binary_weight(wt, groups)
    got = bc.binary_conv2d(x, thr, p, stride, pad, int_output=True, dilation=d).float()
    exp = F.conv2d(torch.where(x < thr.view(-1, 1, 1, 1), -1., 1.), torch.where(wt < 0, -1., 1.),
                   None, stride, pad, d, groups)
    assert torch.equal(got, exp), (n, cin, cout, h, w, k, stride, pad, d, groups)
print(bc.ext_module.cpu_isa())
'''
    for isa in ('avx512', 'avx2', 'scalar'):
        env = dict(os.environ, MMLEAN_CPU_ISA=isa)
        out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                             text=True)
        assert out.returncode == 0, (isa, out.stderr[-2000:])


ISA_SHAPES = [
    # n, cin, cout, h, w, k, stride, padding, dilation, groups: the AVX2 layouts
    # (split input, concatenated taps, 3/2/1-pixel tiles) on every ISA path
    (1, 32, 32, 13, 14, 3, 1, 1, 1, 1),
    (2, 48, 48, 11, 10, 3, 1, 1, 1, 1),
    (1, 48, 17, 9, 8, 3, 2, 1, 1, 1),
    (1, 16, 24, 10, 11, 5, 1, 2, 1, 1),
    (1, 96, 16, 9, 9, 5, 1, 2, 1, 1),
    (1, 130, 9, 6, 5, 3, 1, 0, 1, 1),
    (1, 48, 24, 9, 7, 3, 1, 2, 2, 2),
    (1, 40, 16, 8, 9, 3, 1, 1, 1, 2),
    (1, 64, 64, 8, 7, 3, 1, 1, 1, 1),
    (1, 256, 64, 5, 4, 3, 1, 1, 1, 1),
    (1, 256, 256, 7, 7, 1, 1, 0, 1, 1),
    (2, 64, 40, 5, 6, 1, 1, 0, 1, 1),  # AVX2: both samples' pixels in one row
    (2, 96, 20, 4, 5, 1, 1, 0, 1, 1),
    (2, 128, 20, 5, 7, 1, 2, 0, 1, 1),
    (1, 48, 48, 9, 8, 3, 1, 1, 1, 48),  # depthwise: residual and clamp after the kernel
]


@needs_ext
def test_small_channel_and_1x1_shapes_all_isa_paths():
    """Exact integers and the float epilogue (bit for bit, with a residual and
    a clamp too) on every ISA path."""
    import os
    import subprocess
    import sys
    code = f'''
import torch, torch.nn.functional as F
from mmlean.ops import binary_conv as bc
for i, (n, cin, cout, h, w, k, s, p, d, grp) in enumerate({ISA_SHAPES!r}):
    g = torch.Generator().manual_seed(i)
    x = torch.randn(n, cin, h, w, generator=g).contiguous(memory_format=torch.channels_last)
    wt = torch.randn(cout, cin // grp, k, k, generator=g)
    thr = torch.randn(n, generator=g) * 0.1
    packed = bc.pack_binary_weight(wt, grp)
    got = bc.binary_conv2d(x, thr, packed, s, p, int_output=True, dilation=d, groups=grp)
    exp = F.conv2d(torch.where(x < thr.view(-1, 1, 1, 1), -1., 1.),
                   torch.where(wt < 0, -1., 1.), None, s, p, d, grp)
    assert torch.equal(got.float(), exp), (i, bc.ext_module.cpu_isa())
    scale, bias = torch.rand(cout, generator=g) + 0.5, torch.randn(cout, generator=g)
    got = bc.binary_conv2d(x, None, packed, s, p, scale, bias, dilation=d, groups=grp)
    ref = bc.binary_conv2d_reference(x, None, packed, s, p, scale, bias, dilation=d)
    assert torch.equal(got, ref), (i, bc.ext_module.cpu_isa())
    res = torch.randn(exp.shape, generator=g).contiguous(memory_format=torch.channels_last)
    for lo, hi in ((-1.0, 1.0), (0.0, None), (None, None)):
        got = bc.binary_conv2d(x, None, packed, s, p, scale, bias, dilation=d, groups=grp,
                               residual=res, clamp_min=lo, clamp_max=hi)
        ref = bc.binary_conv2d_reference(x, None, packed, s, p, scale, bias, dilation=d,
                                         residual=res, clamp_min=lo, clamp_max=hi)
        assert torch.equal(got, ref), (i, lo, hi, bc.ext_module.cpu_isa())
'''
    for isa in ('avx512', 'avx2', 'scalar'):
        env = dict(os.environ, MMLEAN_CPU_ISA=isa)
        out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                             text=True)
        assert out.returncode == 0, (isa, out.stderr[-2000:])


@needs_ext
@pytest.mark.parametrize('cin', [64, 32])
def test_weights_changed_in_place_are_used(cin):
    """Kernels that keep a prepared copy of the weights (AVX2) see in-place
    changes (copy_, load_state_dict)."""
    x, w1, thr = make_case(2, cin, 24, 7, 6, 3, cin)
    w2 = torch.randn_like(w1)
    packed, other = bc.pack_binary_weight(w1), bc.pack_binary_weight(w2)
    got = bc.binary_conv2d(x, thr, packed, 1, 1, int_output=True)
    assert torch.equal(got.float(), direct_reference(x, w1, thr, 1, 1))
    packed.blocked.copy_(other.blocked)
    packed.neg_count.copy_(other.neg_count)
    got = bc.binary_conv2d(x, thr, packed, 1, 1, int_output=True)
    assert torch.equal(got.float(), direct_reference(x, w2, thr, 1, 1))


def test_bad_input_is_reported():
    x, weight, thr = make_case(1, 8, 8, 4, 4, 3, 0)
    packed = bc.pack_binary_weight(weight)
    with pytest.raises(ValueError, match='float output'):
        bc.binary_conv2d(x, thr, packed, 1, 1, int_output=True, clamp_min=0.0)
    with pytest.raises(ValueError, match='channels'):
        bc.binary_conv2d(x[:, :4], thr, packed, 1, 1)
    with pytest.raises(ValueError, match='groups=2'):
        bc.binary_conv2d(x, thr, packed, 1, 1, groups=2)
    with pytest.raises(ValueError, match='dilation'):
        bc.binary_conv2d(x, thr, packed, 1, 1, dilation=0)
    with pytest.raises(ValueError, match='does not fit'):
        bc.binary_conv2d(x, thr, packed, 1, 0, dilation=2)
    depthwise = bc.pack_binary_weight(torch.randn(8, 1, 3, 3), groups=8)
    with pytest.raises(ValueError, match='channels'):
        bc.binary_conv2d(x[:, :4], thr, depthwise, 1, 1)


@needs_ext
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('shape', SHAPES, ids=str)
def test_cuda_equals_reference(shape):
    n, cin, cout, h, w, k, stride, padding = shape
    x, weight, thr = make_case(n, cin, cout, h, w, k, 3)
    packed = bc.pack_binary_weight(weight)
    cuda_packed = bc.PackedBinaryWeight(packed.blocked.cuda(), packed.neg_count.cuda(),
                                        packed.out_channels, packed.in_channels)
    got = bc.binary_conv2d(x.cuda(), thr.cuda(), cuda_packed, stride, padding, int_output=True)
    assert torch.equal(got.cpu().float(), direct_reference(x, weight, thr, stride, padding))


@needs_ext
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('shape', GROUPED_SHAPES, ids=str)
def test_cuda_grouped_dilated_equals_reference(shape):
    n, cin, cout, h, w, k, stride, padding, dilation, groups = shape
    x, weight, thr = make_grouped_case(n, cin, cout, h, w, k, groups, 3)
    packed = bc.pack_binary_weight(weight, groups)
    cuda_packed = packed._replace(blocked=packed.blocked.cuda(),
                                  neg_count=packed.neg_count.cuda())
    got = bc.binary_conv2d(x.cuda(), thr.cuda(), cuda_packed, stride, padding, int_output=True,
                           dilation=dilation)
    expected = direct_reference(x, weight, thr, stride, padding, dilation, groups)
    assert torch.equal(got.cpu().float(), expected)


@needs_ext
def test_slower_isa_path_is_logged_once():
    import os
    import subprocess
    import sys
    code = ('import torch\n'
            'from mmlean.ops import binary_conv as bc\n'
            'p = bc.pack_binary_weight(torch.randn(8, 8, 3, 3))\n'
            'for _ in range(3):\n'
            '    bc.binary_conv2d(torch.randn(1, 8, 5, 5), None, p, 1, 1)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=dict(os.environ, MMLEAN_CPU_ISA='avx2'))
    assert out.returncode == 0, out.stderr[-2000:]
    logs = out.stdout + out.stderr
    expected = 'using the avx2 path' if 'avx2' in bc.ext_module.cpu_isa_detected() or \
        bc.ext_module.cpu_isa_detected() == 'avx512_vpopcntdq' else 'using the scalar path'
    assert logs.count(expected) == 1, logs[-2000:]
