"""tools/model_converters/bnas_official.py on files in the official BNAS layout.

The released weights are not available here; the test writes a state dict with the keys
and shapes of the official ``NetworkCIFAR(C, 10, 20, auxiliary=True, BNAS_XNOR_1)``
(github.com/bczhangbczhang/BNAS: models/darts_cnn_x.py, darts_cell_x.py, darts_ops_x.py,
module/Conv_XNOR.py; DataParallel ``module.`` keys), with seeded values, converts it, and
compares the converted model with a re-statement of the official eval forward.
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# BNAS_XNOR_1 as utils/genotypes_x.py writes it: (op, input) pairs, two per node
NORMAL = [('skip_connect', 1), ('dil_conv_3x3', 0), ('skip_connect', 0), ('dil_conv_5x5', 2),
          ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('dil_conv_5x5', 4), ('sep_conv_3x3', 2)]
REDUCE = [('sep_conv_3x3', 1), ('dil_conv_5x5', 0), ('skip_connect', 1), ('max_pool_3x3', 2),
          ('dil_conv_5x5', 0), ('avg_pool_3x3', 3), ('skip_connect', 2), ('dil_conv_3x3', 4)]
LAYERS = 20
# darts_ops_x.py: padding and dilation of the dilated / separable convs
CONV_OPS = {'sep_conv_3x3': (3, 1, 1), 'sep_conv_5x5': (5, 2, 1), 'dil_conv_3x3': (3, 2, 2),
            'dil_conv_5x5': (5, 4, 2)}


def _converter():
    return load_script(osp.join(ROOT, 'tools', 'model_converters', 'bnas_official.py'))


class Layout:
    """Writes the official keys with seeded values; ``sd`` is the state dict (no prefix)."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.sd = {}

    def conv(self, name, cout, cin, k):
        self.sd[f'{name}.weight'] = torch.randn(cout, cin, k, k, generator=self.gen) * 0.3

    def bn(self, name, c, affine=True):
        if affine:
            self.sd[f'{name}.weight'] = torch.rand(c, generator=self.gen) + 0.5
            self.sd[f'{name}.bias'] = torch.randn(c, generator=self.gen) * 0.1
        self.sd[f'{name}.running_mean'] = torch.randn(c, generator=self.gen) * 0.1
        self.sd[f'{name}.running_var'] = torch.rand(c, generator=self.gen) + 0.5
        self.sd[f'{name}.num_batches_tracked'] = torch.tensor(7)


def cells(c):
    """(index, reduction, reduction before, C_pp, C_p, C) of every cell of NetworkCIFAR."""
    c_pp, c_p, c_cur, red_prev = 3 * c, 3 * c, c, False
    for i in range(LAYERS):
        red = i in (LAYERS // 3, 2 * LAYERS // 3)
        c_cur = c_cur * 2 if red else c_cur
        yield i, red, red_prev, c_pp, c_p, c_cur
        c_pp, c_p, red_prev = c_p, 4 * c_cur, red


def official_state(c, seed=0):
    lay = Layout(seed)
    lay.conv('stem.0', 3 * c, 3, 3)
    lay.bn('stem.1', 3 * c)
    for i, red, red_prev, c_pp, c_p, c_cur in cells(c):
        name = f'cells.{i}'
        if red_prev:  # FactorizedReduce(skip=False): two full-precision 1x1 convs
            lay.conv(f'{name}.preprocess0.conv1', c_cur // 2, c_pp, 1)
            lay.conv(f'{name}.preprocess0.conv2', c_cur // 2, c_pp, 1)
            lay.bn(f'{name}.preprocess0.bn', c_cur)
        else:  # ReLUConvBN: ReLU, XNOR 1x1, BN
            lay.conv(f'{name}.preprocess0.op.1', c_cur, c_pp, 1)
            lay.bn(f'{name}.preprocess0.op.2', c_cur)
        lay.conv(f'{name}.preprocess1.op.1', c_cur, c_p, 1)
        lay.bn(f'{name}.preprocess1.op.2', c_cur)
        for j, (op, src) in enumerate(REDUCE if red else NORMAL):
            stride = 2 if red and src < 2 else 1
            prefix = f'{name}._ops.{j}'
            if op in CONV_OPS:
                k = CONV_OPS[op][0]
                parts = ['net.0.net', 'net.1.net'] if op.startswith('sep') else ['net']
                for part in parts:  # DilConv: ReLU, XNOR dw kxk, XNOR 1x1, BN
                    lay.conv(f'{prefix}.{part}.1', c_cur, 1, k)
                    lay.conv(f'{prefix}.{part}.2', c_cur, c_cur, 1)
                    lay.bn(f'{prefix}.{part}.3', c_cur)
            elif op.endswith('pool_3x3'):
                lay.bn(f'{prefix}.bn', c_cur)
            elif op == 'skip_connect' and stride == 2:  # FactorizedReduce(skip=True): XNOR
                lay.conv(f'{prefix}.conv1', c_cur // 2, c_cur, 1)
                lay.conv(f'{prefix}.conv2', c_cur // 2, c_cur, 1)
                lay.bn(f'{prefix}.bn', c_cur)
    aux_in = 16 * c  # the output of cell 13: 4 x 4C
    lay.conv('auxiliary_head.features.2', 128, aux_in, 1)
    lay.bn('auxiliary_head.features.3', 128)
    lay.conv('auxiliary_head.features.5', 768, 128, 2)
    lay.bn('auxiliary_head.features.6', 768)
    lay.sd['auxiliary_head.classifier.weight'] = torch.randn(10, 768, generator=lay.gen) * 0.05
    lay.sd['auxiliary_head.classifier.bias'] = torch.randn(10, generator=lay.gen) * 0.01
    lay.sd['classifier.weight'] = torch.randn(10, 16 * c, generator=lay.gen) * 0.05
    lay.sd['classifier.bias'] = torch.randn(10, generator=lay.gen) * 0.01
    return lay.sd


# --- the official eval forward, restated ------------------------------------------------------
def bn(x, sd, name):
    return F.batch_norm(x, sd[f'{name}.running_mean'], sd[f'{name}.running_var'],
                        sd.get(f'{name}.weight'), sd.get(f'{name}.bias'), False, 0.0, 1e-3)


def xnor(x, w, stride=1, padding=0, dilation=1, groups=1):
    """Conv_XNOR: alpha = mean|W| over the whole tensor, weights alpha * sign(W)."""
    return F.conv2d(x, w.abs().mean() * torch.sign(w), None, stride, padding, dilation, groups)


def factorized_reduce(x, sd, name, binary):
    conv = xnor if binary else (lambda t, w, stride: F.conv2d(t, w, None, stride))
    x = F.relu(x)
    out = torch.cat([conv(x, sd[f'{name}.conv1.weight'], stride=2),
                     conv(x[:, :, 1:, 1:], sd[f'{name}.conv2.weight'], stride=2)], 1)
    return bn(out, sd, f'{name}.bn')


def dil_conv(x, sd, name, k_pad_dil, stride):
    _, pad, dil = k_pad_dil
    c = x.shape[1]
    x = xnor(F.relu(x), sd[f'{name}.1.weight'], stride, pad, dil, groups=c)
    return bn(xnor(x, sd[f'{name}.2.weight']), sd, f'{name}.3')


def op_forward(op, x, sd, name, stride):
    if op in CONV_OPS:
        if op.startswith('sep'):
            x = dil_conv(x, sd, f'{name}.net.0.net', CONV_OPS[op], stride)
            return dil_conv(x, sd, f'{name}.net.1.net', CONV_OPS[op], 1)
        return dil_conv(x, sd, f'{name}.net', CONV_OPS[op], stride)
    if op == 'max_pool_3x3':
        return bn(F.max_pool2d(x, 3, stride, 1), sd, f'{name}.bn')
    if op == 'avg_pool_3x3':
        return bn(F.avg_pool2d(x, 3, stride, 1, count_include_pad=False), sd, f'{name}.bn')
    return x if stride == 1 else factorized_reduce(x, sd, name, binary=True)


def official_forward(sd, c, x):
    s0 = s1 = bn(F.conv2d(x, sd['stem.0.weight'], padding=1), sd, 'stem.1')
    for i, red, red_prev, _, _, _ in cells(c):
        name = f'cells.{i}'
        if red_prev:
            p0 = factorized_reduce(s0, sd, f'{name}.preprocess0', binary=False)
        else:
            p0 = bn(xnor(F.relu(s0), sd[f'{name}.preprocess0.op.1.weight']), sd,
                    f'{name}.preprocess0.op.2')
        p1 = bn(xnor(F.relu(s1), sd[f'{name}.preprocess1.op.1.weight']), sd,
                f'{name}.preprocess1.op.2')
        states = [p0, p1]
        edges = REDUCE if red else NORMAL
        for node in range(4):
            total = 0
            for j in (2 * node, 2 * node + 1):
                op, src = edges[j]
                stride = 2 if red and src < 2 else 1
                total = total + op_forward(op, states[src], sd, f'{name}._ops.{j}', stride)
            states.append(total)
        s0, s1 = s1, torch.cat(states[2:], 1)
    return F.linear(s1.mean([2, 3]), sd['classifier.weight'], sd['classifier.bias'])


@pytest.mark.parametrize('arch, c', [('xnor', 36), ('xnor-larger', 44)])
def test_converted_model_computes_the_official_forward(arch, c, tmp_path):
    from mmengine.runner import load_checkpoint

    import mmlean  # noqa: F401
    from mmlean.compat.checkpoint import safe_load
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    official = official_state(c, seed=c)
    src, dst = str(tmp_path / 'XNOR.pth.tar'), str(tmp_path / 'converted.pth')
    torch.save({f'module.{k}': v for k, v in official.items()}, src)  # DataParallel keys
    assert converter.main([src, dst, '--arch', arch]) == 0
    saved = safe_load(dst)
    assert len(saved['state_dict']) == len(official)
    _, model = build_model(osp.join(ROOT, 'configs', 'bnas', converter.ARCHS[arch]))
    load_checkpoint(model, dst, strict=True)
    model = model.double()
    official = {k: v.double() if v.is_floating_point() else v for k, v in official.items()}
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64)
    with torch.no_grad():
        expected = official_forward(official, c, x)
        got = model(x, mode='tensor')
    got = got[0] if isinstance(got, (tuple, list)) else got
    assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9 * expected.abs().max())


def test_files_of_pytorch_0_4_0_without_num_batches_tracked(tmp_path):
    converter = _converter()
    official = {k: v for k, v in official_state(36).items()
                if not k.endswith('num_batches_tracked')}
    src, dst = str(tmp_path / 'XNOR.pth.tar'), str(tmp_path / 'converted.pth')
    torch.save({f'module.{k}': v for k, v in official.items()}, src)
    assert converter.main([src, dst, '--arch', 'xnor']) == 0
    from mmlean.compat.checkpoint import safe_load
    assert safe_load(dst)['meta']['filled_num_batches_tracked'] == 185


def test_wrong_size_fails_in_one_line(tmp_path, capsys):
    converter = _converter()
    src = str(tmp_path / 'XNOR_larger.pth.tar')
    torch.save({f'module.{k}': v for k, v in official_state(44).items()}, src)
    assert converter.main([src, str(tmp_path / 'x.pth'), '--arch', 'xnor']) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'shape mismatch' in err
