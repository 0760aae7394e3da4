"""Integer-kernel conv against the fake-quantized conv it is built from, on every ISA path."""
import json
import os
import subprocess
import sys

import pytest
import torch

from mmlean.quant import PAMSActQuantizer, QuantConv2d

int8 = pytest.importorskip('mmlean.quant.int8')


def conv_and_reference(relu, seed=0, cin=8, cout=16):
    torch.manual_seed(seed)
    in_q, out_q = PAMSActQuantizer(8), PAMSActQuantizer(8)
    with torch.no_grad():
        in_q.alpha.fill_(2.0)
        out_q.alpha.fill_(3.0)
    conv = QuantConv2d(cin, cout, 3, padding=1, bits=8)
    x = torch.randn(2, cin, 10, 10)
    with torch.no_grad():
        y = conv(in_q(x))
        ref = out_q(torch.relu(y) if relu else y)
    return conv, x, in_q, out_q, ref


def levels_off(conv, x, in_q, out_q, ref, relu, mode):
    qconv = int8.int8_conv(conv, out_q.scale, relu=relu, mode=mode)
    with torch.no_grad():
        got = qconv(int8.quantize_act(x, in_q.scale)).dequantize()
    return ((got - ref) / out_q.scale).abs(), qconv


@pytest.mark.parametrize('mode', ['auto', 'safe'])
@pytest.mark.parametrize('relu', [False, True])
def test_int8_conv_matches_fake_quant_within_one_level(relu, mode):
    int8.select_engine()
    levels, _ = levels_off(*conv_and_reference(relu), relu=relu, mode=mode)
    assert levels.max() <= 1 + 1e-4
    assert (levels > 0.5).float().mean() < 0.01  # almost all exactly equal


def test_split_codes_are_small_and_sum_to_the_codes():
    codes = torch.arange(-127, 128, dtype=torch.int8)
    a, b = int8.split_codes(codes)
    assert a.abs().max() <= 64 and b.abs().max() <= 64
    assert torch.equal(a.to(torch.int16) + b.to(torch.int16), codes.to(torch.int16))
    # the worst u8 x s8 pair of the split form fits vpmaddubsw's int16
    assert 2 * 255 * 64 <= int8.INT16_MAX < 2 * 255 * 127
    assert 2 * 127 * 127 <= int8.INT16_MAX  # non-negative inputs (zero point 0)


def test_probe_agrees_with_the_kernel():
    """direct_is_exact says 'exact' exactly when the plain int8 conv is within a level."""
    engine = int8.select_engine()
    conv, x, in_q, out_q, ref = conv_and_reference(False, cin=64, cout=16)
    levels, _ = levels_off(conv, x, in_q, out_q, ref, relu=False, mode='direct')
    exact = int8.direct_is_exact(engine, 64, 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, 255)
    assert exact == bool(levels.max() <= 1 + 1e-4)
    # non-negative codes (<= 127) never saturate a pair
    assert int8.direct_is_exact(engine, 64, 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, 127)


def test_weight_codes_are_the_fake_quantizers_levels():
    conv = QuantConv2d(4, 4, 3, bits=4)
    codes, scale = int8.weight_codes(conv)
    assert codes.abs().max() <= 7
    assert torch.allclose(codes.float() * scale, conv.weight_quant(conv.weight).detach(), atol=1e-6)


CHILD = r'''
import json, sys, torch
from mmlean.quant import PAMSActQuantizer, QuantConv2d
from mmlean.quant import int8
torch.backends.quantized.engine = sys.argv[1]
torch.manual_seed(0)
in_q, out_q = PAMSActQuantizer(8), PAMSActQuantizer(8)
with torch.no_grad():
    in_q.alpha.fill_(2.0); out_q.alpha.fill_(3.0)
conv = QuantConv2d(64, 16, 3, padding=1, bits=8)
x = torch.randn(2, 64, 10, 10)
out = {}
with torch.no_grad():
    ref = out_q(conv(in_q(x)))
    for mode in ('direct', 'auto'):
        q = int8.int8_conv(conv, out_q.scale, mode=mode)
        got = q(int8.quantize_act(x, in_q.scale)).dequantize()
        out[mode] = float(((got - ref) / out_q.scale).abs().max())
out['probe'] = int8.direct_is_exact(sys.argv[1], 64, 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, 255)
print(json.dumps(out))
'''


@pytest.mark.parametrize('engine', ['x86', 'fbgemm', 'onednn'])
def test_exact_with_the_kernels_capped_at_avx2(engine, repo_root):
    """The AVX2 int8 kernels (forced on any x86 CPU) saturate; 'auto' stays exact."""
    if engine not in torch.backends.quantized.supported_engines:
        pytest.skip(f'no {engine} engine in this torch build')
    env = dict(os.environ, FBGEMM_ENABLE_INSTRUCTIONS='AVX2', ONEDNN_MAX_CPU_ISA='AVX2',
               OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, '-c', CHILD, engine], cwd=repo_root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result['auto'] <= 1 + 1e-4
    # the probe predicts the plain kernel's behaviour under the cap
    assert result['probe'] == (result['direct'] <= 1 + 1e-4)
