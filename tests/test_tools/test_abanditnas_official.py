"""tools/model_converters/abanditnas_official.py on files in the official ABanditNAS layout.

The released weights are not available here; the test writes ``{'model': state_dict}`` with
the keys and shapes of the official ``NetworkCIFAR(3, 48, 10, 10, auxiliary=True, ...)``
(github.com/bczhangbczhang/ABanditNAS: models/darts_cnn_bandit_all.py, darts_cell_all.py,
darts_ops_1.py, filter.py; DataParallel ``module.`` keys; the Gabor parameters twice), with
seeded values, converts it, and compares the converted model with a re-statement of the
official eval forward.
"""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# utils/genotypes_all.py, one (op, input) per node of each cell kind
CIFAR_1 = dict(
    a=[('conv_3x3', 0), ('gab_filt_3x3', 1), ('sep_conv_3x3', 2), ('dtp_blok_3x3', 1)],
    b=[('avg_pool_3x3', 0), ('gab_filt_3x3', 0), ('sep_conv_5x5', 2), ('conv_3x3', 1)],
    c=[('conv_3x3', 0), ('max_pool_3x3', 0), ('conv_5x5', 0), ('sep_conv_5x5', 3)],
    d=[('dtp_blok_3x3', 0), ('sep_conv_5x5', 1), ('avg_pool_3x3', 2), ('conv_3x3', 3)],
    e=[('dtp_blok_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 1), ('avg_pool_3x3', 3)],
    f=[('gab_filt_3x3', 0), ('conv_3x3', 0), ('dtp_blok_3x3', 1), ('avg_pool_3x3', 2)])
CIFAR_2 = dict(
    a=[('dtp_blok_3x3', 0), ('sep_conv_3x3', 0), ('conv_3x3', 1), ('sep_conv_3x3', 3)],
    b=[('conv_5x5', 0), ('gab_filt_3x3', 0), ('max_pool_3x3', 0), ('dtp_blok_3x3', 2)],
    c=[('sep_conv_3x3', 0), ('dtp_blok_3x3', 0), ('max_pool_3x3', 1), ('sep_conv_5x5', 3)],
    d=[('sep_conv_5x5', 0), ('dtp_blok_3x3', 0), ('gab_filt_3x3', 2), ('conv_3x3', 1)],
    e=[('sep_conv_5x5', 0), ('skip_connect', 1), ('sep_conv_5x5', 1), ('sep_conv_5x5', 1)],
    f=[('max_pool_3x3', 0), ('skip_connect', 0), ('sep_conv_5x5', 2), ('gab_filt_3x3', 0)])
KIND_OF_CELL = 'aabbcddeff'  # darts_cnn_bandit_all.py's k(i) for 10 cells of 6 kinds
REDUCTIONS, DENOISED = (3, 6), (2, 5, 7)  # layers // 3, 2 * layers // 3; [L//4, 2L//4, 3L//4]
C = 48
CONV = {'conv_3x3': (3, 2, 2), 'conv_5x5': (5, 4, 2)}  # kernel, padding, dilation
MEAN = (0.49139968, 0.48215827, 0.44653124)
STD = (0.24703233, 0.24348505, 0.26158768)


def _converter():
    return load_script(osp.join(ROOT, 'tools', 'model_converters', 'abanditnas_official.py'))


def cells():
    """(index, reduction, C_prev, C) of the official network's cells."""
    c_prev, c_cur = 3 * C, C
    for i in range(len(KIND_OF_CELL)):
        red = i in REDUCTIONS
        c_cur = c_cur * 2 if red else c_cur
        yield i, red, c_prev, c_cur
        c_prev = 4 * c_cur


def official_state(genotype, manual, seed=0):
    gen = torch.Generator().manual_seed(seed)
    sd = {}

    def conv(name, cout, cin, k):
        sd[f'{name}.weight'] = torch.randn(cout, cin, k, k, generator=gen) / math.sqrt(cin * k * k)

    def bn(name, c):
        # a denoising block adds BN(filter(x)) to x, and the dot-product filter is cubic in
        # x: its BN is small (zero-initialised officially), or ten blocks overflow float64
        scale = 1e-3 if name.endswith('filterblock.1') else 1.0
        sd[f'{name}.weight'] = (torch.rand(c, generator=gen) + 0.5) * scale
        sd[f'{name}.bias'] = torch.randn(c, generator=gen) * 0.1
        sd[f'{name}.running_mean'] = torch.randn(c, generator=gen) * 0.1
        sd[f'{name}.running_var'] = torch.rand(c, generator=gen) + 0.5
        sd[f'{name}.num_batches_tracked'] = torch.tensor(11)

    conv('stem.0', 3 * C, 3, 3)
    bn('stem.1', 3 * C)
    for i, red, c_prev, c in cells():
        conv(f'cells.{i}.preprocess1.op.1', c, c_prev, 1)
        bn(f'cells.{i}.preprocess1.op.2', c)
        for j, (op, _) in enumerate(genotype[KIND_OF_CELL[i]]):
            name = f'cells.{i}._ops.{j}'
            if op in CONV:
                conv(f'{name}.net.1', c, c, CONV[op][0])
                bn(f'{name}.net.2', c)
            elif op.startswith('sep_conv'):
                k = int(op[-1])
                conv(f'{name}.net.0.net.1', c, 1, k)  # depthwise
                bn(f'{name}.net.0.net.2', c)
                conv(f'{name}.net.1.net.1', c, c, k)  # full k x k
                bn(f'{name}.net.1.net.2', c)
            elif op.endswith('pool_3x3'):
                bn(f'{name}.bn', c)
            elif op in ('gab_filt_3x3', 'dtp_blok_3x3'):
                if op == 'gab_filt_3x3':
                    for p, scale in (('Lambda', 1.0), ('theta', 1.0), ('psi', 0.02),
                                     ('sigma', 1.0), ('gamma', 0.3)):
                        value = torch.randn(c, generator=gen) * scale
                        sd[f'{name}.filter.{p}'] = value  # the module, registered twice
                        sd[f'{name}.filterblock.0.{p}'] = value
                bn(f'{name}.filterblock.1', c)
        if manual and i in DENOISED:
            bn(f'cells.{i}.denoseblock.filterblock.1', 4 * c)
    conv('auxiliary_head.features.2', 128, 4 * 192, 1)
    bn('auxiliary_head.features.3', 128)
    conv('auxiliary_head.features.5', 768, 128, 2)
    bn('auxiliary_head.features.6', 768)
    sd['auxiliary_head.classifier.weight'] = torch.randn(10, 768, generator=gen) * 0.05
    sd['auxiliary_head.classifier.bias'] = torch.randn(10, generator=gen) * 0.01
    sd['classifier.weight'] = torch.randn(10, 768, generator=gen) * 0.05
    sd['classifier.bias'] = torch.randn(10, generator=gen) * 0.01
    return sd


# --- the official eval forward, restated ------------------------------------------------------
def batch_norm(x, sd, name):
    return F.batch_norm(x, sd[f'{name}.running_mean'], sd[f'{name}.running_var'],
                        sd[f'{name}.weight'], sd[f'{name}.bias'], False, 0.0, 1e-3)


def gabor_kernel(sd, name, cin):
    """filter.py gabor_fn for a 3x3 kernel: x the row offset, y the column offset."""
    theta = torch.sigmoid(sd[f'{name}.theta']) * 2 * math.pi
    gamma = 1.0 + sd[f'{name}.gamma'] * 0.5
    sigma = 0.1 + torch.sigmoid(sd[f'{name}.sigma']) * 0.4
    lambd = 0.001 + torch.sigmoid(sd[f'{name}.Lambda']) * 0.999
    psi = sd[f'{name}.psi']
    offsets = torch.arange(-1, 2, dtype=theta.dtype)
    x, y = offsets.view(3, 1), offsets.view(1, 3)
    cos, sin = torch.cos(theta).view(-1, 1, 1), torch.sin(theta).view(-1, 1, 1)
    xt, yt = x * cos + y * sin, -x * sin + y * cos
    g = torch.exp(-0.5 * (xt ** 2 / sigma.view(-1, 1, 1) ** 2
                          + yt ** 2 / (sigma / gamma).view(-1, 1, 1) ** 2)) \
        * torch.cos(2 * math.pi / lambd.view(-1, 1, 1) * xt + psi.view(-1, 1, 1))
    return g.unsqueeze(1).expand(-1, cin, -1, -1)


def dot_product(x):
    """NonLocalFilter(embed=False, softmax=False): y_i = sum_j <x_i, x_j> x_j / (C H W)."""
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    gram = flat.transpose(1, 2) @ flat  # (HW, HW)
    return (flat @ gram).reshape(n, c, h, w) / (c * h * w)


def denoising_block(x, sd, name, kind, stride):
    """DenoisingBlock: BN(filter(x)) + x, downsampled bilinearly at stride 2."""
    if kind == 'gab_filt_3x3':
        filtered = F.conv2d(x, gabor_kernel(sd, f'{name}.filterblock.0', x.shape[1]), padding=1)
    else:
        filtered = dot_product(x)
    out = batch_norm(filtered, sd, f'{name}.filterblock.1') + x
    if stride != 1:
        out = F.interpolate(out, scale_factor=1 / stride, mode='bilinear', align_corners=True)
    return out


def op_forward(op, x, sd, name, stride):
    if op in CONV:
        k, pad, dil = CONV[op]
        return batch_norm(F.conv2d(F.relu(x), sd[f'{name}.net.1.weight'], None, stride, pad, dil),
                          sd, f'{name}.net.2')
    if op.startswith('sep_conv'):
        pad = (int(op[-1]) - 1) // 2
        x = batch_norm(F.conv2d(F.relu(x), sd[f'{name}.net.0.net.1.weight'], None, stride, pad,
                                groups=x.shape[1]), sd, f'{name}.net.0.net.2')
        return batch_norm(F.conv2d(F.relu(x), sd[f'{name}.net.1.net.1.weight'], None, 1, pad),
                          sd, f'{name}.net.1.net.2')
    if op == 'max_pool_3x3':
        return batch_norm(F.max_pool2d(x, 3, stride, 1), sd, f'{name}.bn')
    if op == 'avg_pool_3x3':
        return batch_norm(F.avg_pool2d(x, 3, stride, 1, count_include_pad=False), sd,
                          f'{name}.bn')
    if op in ('gab_filt_3x3', 'dtp_blok_3x3'):
        return denoising_block(x, sd, name, op, stride)
    assert op == 'skip_connect' and stride == 1  # the released cells skip at stride 1 only
    return x


def official_forward(sd, genotype, manual, x):
    mean = torch.tensor(MEAN, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=x.dtype).view(1, 3, 1, 1)
    s = batch_norm(F.conv2d((x - mean) / std, sd['stem.0.weight'], padding=1), sd, 'stem.1')
    for i, red, _, _ in cells():
        states = [batch_norm(F.conv2d(F.relu(s), sd[f'cells.{i}.preprocess1.op.1.weight']), sd,
                             f'cells.{i}.preprocess1.op.2')]
        for j, (op, src) in enumerate(genotype[KIND_OF_CELL[i]]):
            stride = 2 if red and src < 1 else 1
            states.append(op_forward(op, states[src], sd, f'cells.{i}._ops.{j}', stride))
        s = torch.cat(states[1:], 1)
        if manual and i in DENOISED:
            s = denoising_block(s, sd, f'cells.{i}.denoseblock', 'dtp_blok_3x3', 1)
    return F.linear(s.mean([2, 3]), sd['classifier.weight'], sd['classifier.bias'])


ARCHS = {'cifar1': (CIFAR_1, True), 'cifar2': (CIFAR_2, False)}


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_converted_model_computes_the_official_forward(arch, tmp_path):
    from mmengine.runner import load_checkpoint

    import mmlean  # noqa: F401
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    genotype, manual = ARCHS[arch]
    official = official_state(genotype, manual, seed=len(arch))
    src, dst = str(tmp_path / 'ABANDIT.pth.tar'), str(tmp_path / 'converted.pth')
    torch.save({'epoch': 199, 'model': {f'module.{k}': v for k, v in official.items()}}, src)
    assert converter.main([src, dst, '--arch', arch]) == 0
    _, model = build_model(osp.join(ROOT, 'configs', 'abanditnas', converter.ARCHS[arch][0]))
    load_checkpoint(model, dst, strict=True)
    net = model.architecture.double()
    official = {k: v.double() if v.is_floating_point() else v for k, v in official.items()}
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2),
                   dtype=torch.float64)  # images in [0, 1]; the model normalises inside
    with torch.no_grad():
        expected = official_forward(official, genotype, manual, x)
        got = net(x, mode='tensor')
    got = got[0] if isinstance(got, (tuple, list)) else got
    assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9 * expected.abs().max())


def test_diverging_gabor_copies_are_refused(tmp_path, capsys):
    converter = _converter()
    official = official_state(CIFAR_1, True)
    key = next(k for k in official if k.endswith('.filter.theta'))
    official[key] = official[key] + 1
    src = str(tmp_path / 'ABANDIT.pth.tar')
    torch.save({'model': {f'module.{k}': v for k, v in official.items()}}, src)
    assert converter.main([src, str(tmp_path / 'x.pth'), '--arch', 'cifar1']) == 2
    assert 'registered twice' in capsys.readouterr().err
