"""Post-training int8 conv against an FP32 re-computation of the same integer arithmetic."""
import json
import os
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

ptq = pytest.importorskip('mmlean.quant.int8_ptq')
int8 = pytest.importorskip('mmlean.quant.int8')


def reference(conv, x, in_grid, out_grid, weight_bits):
    """round/clamp written out: input codes, per-channel weight codes, FP32 sum, output codes."""
    s, z, n = in_grid
    xq = (torch.clamp(torch.round(x / s) + z, 0, n) - z) * s
    qmax = 2 ** (weight_bits - 1) - 1
    m = conv.weight.detach().abs().amax(dim=(1, 2, 3), keepdim=True) + 1e-8
    w = torch.round(conv.weight.detach() * qmax / m) * m / qmax
    y = F.conv2d(xq, w, conv.bias, padding=conv.padding)
    so, zo, no = out_grid
    return (torch.clamp(torch.round(y / so) + zo, 0, no) - zo) * so


def grids(act_bits, seed=0, cin=64, cout=16):
    torch.manual_seed(seed)
    conv = nn.Conv2d(cin, cout, 3, padding=1)
    x = torch.randn(2, cin, 10, 10) * 0.7 + 0.3  # skewed: a non-trivial zero point
    in_grid = ptq.ActGrid.from_range(float(x.min()), float(x.max()), act_bits)
    with torch.no_grad():
        y = conv(x)
    out_grid = ptq.ActGrid.from_range(float(y.min()) * 0.8, float(y.max()) * 0.8, act_bits)
    return conv, x, in_grid, out_grid


@pytest.mark.parametrize('act_bits,weight_bits', [(8, 8), (7, 8), (8, 7)])
@pytest.mark.parametrize('mode', ['auto', 'safe'])
def test_ptq_conv_matches_the_integer_reference(act_bits, weight_bits, mode):
    int8.select_engine()
    conv, x, in_grid, out_grid = grids(act_bits)
    q = ptq.PTQInt8Conv2d(conv, in_grid, out_grid, weight_bits, mode)
    with torch.no_grad():
        got = q(in_grid.quantize(x)).dequantize()
        ref = reference(conv, x, in_grid, out_grid, weight_bits)
    levels = (got - ref).abs() / out_grid.scale
    assert levels.max() <= 1 + 1e-4
    assert (levels > 0.5).float().mean() < 0.01
    assert got.min() >= out_grid.bounds[0] - 1e-6 and got.max() <= out_grid.bounds[1] + 1e-6
    # 7-bit inputs or 7-bit weights cannot saturate a pair: never split
    assert not q.split or (act_bits, weight_bits) == (8, 8)


def test_act_grid_holds_zero_and_the_range():
    g = ptq.ActGrid.from_range(0.2, 3.0, 8)  # widened to hold 0
    assert g.zero_point == 0 and g.max_code == 255
    assert g.bounds[1] == pytest.approx(3.0)
    g = ptq.ActGrid.from_range(-1.0, 0.5, 7)
    assert g.max_code == 127 and g.bounds[0] == pytest.approx(-1.0, abs=g.scale / 2)
    assert float(g.fake(torch.tensor(0.0))) == 0.0
    x = torch.linspace(-2, 2, 101)
    assert torch.allclose(g.quantize(x.view(1, 1, 1, -1)).dequantize().view(-1), g.fake(x))
    with pytest.raises(ValueError, match='7 or 8'):
        ptq.ActGrid.from_range(0, 1, 4)


def test_per_channel_codes():
    w = torch.randn(4, 3, 3, 3) * torch.tensor([1.0, 0.01, 5.0, 0.3]).view(-1, 1, 1, 1)
    for bits, qmax in ((8, 127), (7, 63)):
        codes, scales = ptq.per_channel_codes(w, bits)
        assert torch.equal(codes.abs().flatten(1).amax(1), torch.full((4,), qmax, dtype=torch.int8))
        assert (codes.float() * scales.view(-1, 1, 1, 1) - w).abs().max() <= scales.max() / 2 + 1e-6


def test_observe_input_ranges():
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.Conv2d(2, 1, 1))
    xs = [torch.randn(1, 1, 4, 4) for _ in range(3)]
    ranges = ptq.observe_input_ranges(net, [net[0], net[2]], xs)
    assert ranges[0] == (min(float(x.min()) for x in xs), max(float(x.max()) for x in xs))
    assert ranges[1][0] >= 0  # after the ReLU


CHILD = r'''
import json, sys, torch
sys.path.insert(0, 'tests/test_quant')
from test_int8_ptq import grids, reference
from mmlean.quant import int8_ptq as ptq
torch.backends.quantized.engine = sys.argv[1]
out = {}
for ab, wb in ((8, 8), (7, 8), (8, 7)):
    conv, x, gi, go = grids(ab)
    for mode in ('direct', 'auto'):
        q = ptq.PTQInt8Conv2d(conv, gi, go, wb, mode)
        with torch.no_grad():
            got = q(gi.quantize(x)).dequantize()
            ref = reference(conv, x, gi, go, wb)
        out[f'{ab}{wb}{mode}'] = float(((got - ref) / go.scale).abs().max())
print(json.dumps(out))
'''


@pytest.mark.parametrize('engine', ['x86', 'fbgemm', 'onednn'])
def test_exact_with_the_kernels_capped_at_avx2(engine, repo_root):
    """Under the AVX2 kernels auto is exact; with 7-bit inputs or weights direct is too."""
    if engine not in torch.backends.quantized.supported_engines:
        pytest.skip(f'no {engine} engine in this torch build')
    env = dict(os.environ, FBGEMM_ENABLE_INSTRUCTIONS='AVX2', ONEDNN_MAX_CPU_ISA='AVX2',
               OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, '-c', CHILD, engine], cwd=repo_root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ('88auto', '78auto', '87auto', '78direct', '87direct'):
        assert result[key] <= 1 + 1e-4, (key, result)
