"""tools/model_converters/rbnn_official.py on files in the official RBNN layout.

The official files are not available here; each test writes one with the key names, shapes
and contents the official code saves (github.com/lmbxmu/RBNN: models_cifar/resnet.py,
resnet2.py, resnet_bireal.py, vgg.py, models_imagenet/resnet.py, modules/
binarized_modules.py, main.py's checkpoint dict), with seeded values, converts it, and
compares the converted mmlean model with a re-statement of the official test forward
computed directly from the official tensors.
"""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _converter():
    return load_script(osp.join(ROOT, 'tools', 'model_converters', 'rbnn_official.py'))


# --- the official layout ------------------------------------------------------------------
def get_ab(n):
    """binarized_modules.get_ab: the largest divisor a <= int(sqrt(n)), b = n // a."""
    for a in range(int(math.sqrt(n)), 0, -1):
        if n % a == 0:
            return a, n // a


def _orthogonal(n, gen):
    q, r = torch.linalg.qr(torch.randn(n, n, generator=gen))
    return q * torch.sign(torch.diagonal(r))


def add_binary_conv(sd, name, cout, cin, k, gen):
    """BinarizeConv2d(bias=False): weight, alpha (Cout,1,1), rotate (Cout,1,1,1), R1, R2."""
    a, b = get_ab(cin * k * k)
    sd[f'{name}.weight'] = torch.randn(cout, cin, k, k, generator=gen)
    sd[f'{name}.alpha'] = torch.rand(cout, 1, 1, generator=gen) + 0.5
    sd[f'{name}.rotate'] = torch.rand(cout, 1, 1, 1, generator=gen) * math.pi
    sd[f'{name}.R1'] = _orthogonal(a, gen)
    sd[f'{name}.R2'] = _orthogonal(b, gen)


def add_bn(sd, name, c, gen):
    sd[f'{name}.weight'] = torch.rand(c, generator=gen) + 0.5
    sd[f'{name}.bias'] = torch.randn(c, generator=gen) * 0.1
    sd[f'{name}.running_mean'] = torch.randn(c, generator=gen) * 0.1
    sd[f'{name}.running_var'] = torch.rand(c, generator=gen) + 0.5
    sd[f'{name}.num_batches_tracked'] = torch.tensor(100)


def official_state(arch, gen):
    """The state dict of the official model that ``arch`` names."""
    sd = {}
    if arch == 'vgg-small':
        sd['conv0.weight'] = torch.randn(128, 3, 3, 3, generator=gen) * 0.3
        add_bn(sd, 'bn0', 128, gen)
        for i, (cin, cout) in enumerate([(128, 128), (128, 256), (256, 256), (256, 512),
                                         (512, 512)], 1):
            add_binary_conv(sd, f'conv{i}', cout, cin, 3, gen)
            add_bn(sd, f'bn{i}', cout, gen)
        sd['fc.weight'] = torch.randn(10, 8192, generator=gen) * 0.01
        sd['fc.bias'] = torch.randn(10, generator=gen) * 0.01
        return sd
    imagenet = arch.endswith('imagenet')
    if imagenet:
        depth = [2, 2, 2, 2] if arch.startswith('resnet18') else [3, 4, 6, 3]
        widths, stem = [64, 128, 256, 512], (64, 7)
    elif arch == 'resnet18':
        depth, widths, stem = [2, 2, 2, 2], [64, 128, 256, 512], (64, 3)
    else:
        depth, widths, stem = [3, 3, 3], [16, 32, 64], (16, 3)
    sd['conv1.weight'] = torch.randn(stem[0], 3, stem[1], stem[1], generator=gen) * 0.3
    add_bn(sd, 'bn1', stem[0], gen)
    cin = stem[0]
    for s, (blocks, width) in enumerate(zip(depth, widths), 1):
        for b in range(blocks):
            name = f'layer{s}.{b}'
            add_binary_conv(sd, f'{name}.conv1', width, cin, 3, gen)
            add_bn(sd, f'{name}.bn1', width, gen)
            add_binary_conv(sd, f'{name}.conv2', width, width, 3, gen)
            add_bn(sd, f'{name}.bn2', width, gen)
            if b == 0 and s > 1 and imagenet:  # full-precision 1x1 downsample
                sd[f'{name}.downsample.0.weight'] = torch.randn(width, cin, 1, 1,
                                                                generator=gen) * 0.3
                add_bn(sd, f'{name}.downsample.1', width, gen)
            elif b == 0 and s > 1 and arch == 'resnet18':  # binary 1x1 shortcut
                add_binary_conv(sd, f'{name}.shortcut.0', width, cin, 1, gen)
                add_bn(sd, f'{name}.shortcut.1', width, gen)
            cin = width
    classes = 1000 if imagenet else 10
    head = 'fc' if imagenet else 'linear'
    sd[f'{head}.weight'] = torch.randn(classes, widths[-1], generator=gen) * 0.1
    sd[f'{head}.bias'] = torch.randn(classes, generator=gen) * 0.01
    add_bn(sd, 'bn2', widths[-1], gen)
    if imagenet:
        add_bn(sd, 'bn3', classes, gen)  # built, never used by the official forward
    return sd


def write_official(path, arch, gen):
    """main.py's checkpoint dict, with the pickled list of the model's Parameters."""
    sd = official_state(arch, gen)
    params = [torch.nn.Parameter(v.clone()) for k, v in sd.items()
              if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked',
                                 'R1', 'R2'))]
    torch.save({'epoch': 400, 'model': arch.replace('-', '_') + '_1w1a',
                'state_dict': sd, 'best_prec1': 86.5, 'parameters': params}, path)
    return sd


# --- the official test forward, restated -----------------------------------------------------
def official_binary_conv(x, sd, name, stride=1, padding=1):
    """BinarizeConv2d.forward at test time (epoch -1): standardized weight, rotated by
    R1^T X R2 and mixed by |sin(rotate)|, sign; per-sample standardized input, sign;
    conv; times alpha."""
    w = sd[f'{name}.weight']
    cout = w.shape[0]
    w1 = w - w.mean([1, 2, 3], keepdim=True)
    w2 = w1 / w1.std([1, 2, 3], keepdim=True)
    r1, r2 = sd[f'{name}.R1'], sd[f'{name}.R2']
    rotated = (r1.t() @ w2.view(cout, r1.shape[0], r2.shape[0]) @ r2).view_as(w2)
    w3 = w2 + torch.abs(torch.sin(sd[f'{name}.rotate'])) * (rotated - w2)
    a1 = x - x.mean([1, 2, 3], keepdim=True)
    a2 = a1 / a1.std([1, 2, 3], keepdim=True)
    out = F.conv2d(torch.sign(a2), torch.sign(w3), None, stride, padding)
    return out * sd[f'{name}.alpha']


def bn(x, sd, name):
    return F.batch_norm(x, sd[f'{name}.running_mean'], sd[f'{name}.running_var'],
                        sd[f'{name}.weight'], sd[f'{name}.bias'], False, 0.0, 1e-5)


def official_forward(arch, sd, x):
    """The official network's eval forward (the models_* files named above)."""
    ht = F.hardtanh
    if arch == 'vgg-small':
        out = ht(bn(F.conv2d(x, sd['conv0.weight'], padding=1), sd, 'bn0'))
        for i in range(1, 6):
            out = official_binary_conv(out, sd, f'conv{i}')
            if i in (1, 3, 5):
                out = F.max_pool2d(out, 2)
            out = ht(bn(out, sd, f'bn{i}'))
        return F.linear(out.flatten(1), sd['fc.weight'], sd['fc.bias'])
    imagenet = arch.endswith('imagenet')
    bireal = imagenet or arch == 'resnet20-bireal'
    if imagenet:
        out = ht(bn(F.conv2d(x, sd['conv1.weight'], stride=2, padding=3), sd, 'bn1'))
        out = F.max_pool2d(out, 3, 2, 1)
    else:
        out = bn(F.conv2d(x, sd['conv1.weight'], padding=1), sd, 'bn1')
        out = out if arch == 'resnet18' else ht(out)  # CIFAR ResNet-18's stem: no activation
    s = 1
    while f'layer{s}.0.conv1.weight' in sd:
        b = 0
        while f'layer{s}.{b}.conv1.weight' in sd:
            name, stride = f'layer{s}.{b}', 2 if (b == 0 and s > 1) else 1
            if f'{name}.downsample.0.weight' in sd:
                short = bn(F.conv2d(out, sd[f'{name}.downsample.0.weight'], stride=stride),
                           sd, f'{name}.downsample.1')
            elif f'{name}.shortcut.0.weight' in sd:
                short = bn(official_binary_conv(out, sd, f'{name}.shortcut.0', stride, 0),
                           sd, f'{name}.shortcut.1')
            elif stride == 2:  # option A: subsample and zero-pad the channels
                planes = sd[f'{name}.conv1.weight'].shape[0]
                short = F.pad(out[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))
            else:
                short = out
            y = bn(official_binary_conv(out, sd, f'{name}.conv1', stride), sd, f'{name}.bn1')
            if bireal:
                y = ht(y + short)
                out = ht(bn(official_binary_conv(y, sd, f'{name}.conv2'), sd,
                            f'{name}.bn2') + y)
            else:
                y = ht(y)
                out = ht(bn(official_binary_conv(y, sd, f'{name}.conv2'), sd,
                            f'{name}.bn2') + short)
            b += 1
        s += 1
    out = bn(out.mean([2, 3]), sd, 'bn2')  # global average pool, BatchNorm1d
    head = 'fc' if imagenet else 'linear'
    return F.linear(out, sd[f'{head}.weight'], sd[f'{head}.bias'])


class Foreign:
    """A pickled object the weights-only loader must refuse."""


ARCHS = ['resnet20', 'resnet20-bireal', 'resnet18', 'vgg-small', 'resnet18-imagenet',
         'resnet34-imagenet']


@pytest.mark.parametrize('arch', ARCHS)
def test_converted_model_computes_the_official_forward(arch, tmp_path):
    from mmengine.runner import load_checkpoint

    import mmlean  # noqa: F401
    from mmlean.compat.checkpoint import safe_load
    from mmlean.utils.model_conversion import build_model, file_sha256
    converter = _converter()
    gen = torch.Generator().manual_seed(ARCHS.index(arch))
    src, dst = str(tmp_path / 'model_best.pth.tar'), str(tmp_path / 'converted.pth')
    official = write_official(src, arch, gen)
    assert converter.main([src, dst, '--arch', arch]) == 0
    saved = safe_load(dst)
    assert saved['meta']['source_sha256'] == file_sha256(src)
    assert saved['meta']['official']['best_prec1'] == 86.5
    # dropped: only the ImageNet bn3 (5 keys); everything else carried over, values unchanged
    dropped = 5 if arch.endswith('imagenet') else 0
    assert len(saved['state_dict']) == len(official) - dropped
    official_values = sorted(float(v.double().sum()) for k, v in official.items()
                             if not (dropped and k.startswith('bn3.')))
    assert sorted(float(v.double().sum()) for v in saved['state_dict'].values()) == \
        pytest.approx(official_values)

    _, model = build_model(osp.join(ROOT, 'configs', 'rbnn', converter.ARCHS[arch]))
    load_checkpoint(model, dst, strict=True)  # as tools/test.py loads it
    # in float64: two float32 orders of summation can put a standardized activation on
    # either side of 0, and one flipped sign moves a random binary network's logits
    model = model.double()
    official = {k: v.double() if v.is_floating_point() else v for k, v in official.items()}
    size = 224 if arch.endswith('imagenet') else 32
    x = torch.randn(2, 3, size, size, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        expected = official_forward(arch, official, x)
        got = model(x, mode='tensor')
    got = got[-1] if isinstance(got, (tuple, list)) else got
    assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9 * expected.abs().max())


def test_legacy_and_foreign_files_fail_in_one_line(tmp_path, capsys):
    converter = _converter()
    gen = torch.Generator().manual_seed(0)
    src = str(tmp_path / 'old.pth.tar')
    sd = official_state('resnet20', gen)
    sd['layer1.0.conv1.k'] = torch.ones(1)  # RBNN code before 2020-05-06
    torch.save({'state_dict': sd}, src)
    assert converter.main([src, str(tmp_path / 'x.pth'), '--arch', 'resnet20']) == 2
    assert 'k/t buffers' in capsys.readouterr().err

    torch.save({'state_dict': official_state('resnet20', gen)}, src)
    assert converter.main([src, str(tmp_path / 'x.pth'), '--arch', 'resnet18']) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'missing' in err and 'shape mismatch' in err

    torch.save({'state_dict': {}, 'x': Foreign()}, src)
    assert converter.main([src, str(tmp_path / 'x.pth'), '--arch', 'resnet20']) == 2
    err = capsys.readouterr().err
    assert 'refused' in err and 'Foreign' in err


@pytest.mark.parametrize('arch', ['resnet20', 'vgg-small'])
def test_bit_packed_deployment_of_a_converted_model(arch, tmp_path):
    """tools/deployment/binary_deploy.py's conversion of a converted model computes the
    converted model's logits (the bit-packed engine against the simulated network)."""
    from mmengine.runner import load_checkpoint

    import mmlean  # noqa: F401
    from mmlean.binary import convert_to_deploy
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    gen = torch.Generator().manual_seed(11)
    src, dst = str(tmp_path / 'model_best.pth.tar'), str(tmp_path / 'converted.pth')
    write_official(src, arch, gen)
    assert converter.main([src, dst, '--arch', arch]) == 0
    _, model = build_model(osp.join(ROOT, 'configs', 'rbnn', converter.ARCHS[arch]))
    load_checkpoint(model, dst, strict=True)
    x = torch.randn(4, 3, 32, 32, generator=gen)
    with torch.no_grad():
        simulated = model(x, mode='tensor')
        names = convert_to_deploy(model.architecture, sample=x[:1])
        deployed = model(x, mode='tensor')
    simulated = simulated[-1] if isinstance(simulated, (tuple, list)) else simulated
    deployed = deployed[-1] if isinstance(deployed, (tuple, list)) else deployed
    assert names
    assert torch.allclose(deployed, simulated, rtol=0, atol=1e-4 * simulated.abs().max())
    assert torch.equal(deployed.argmax(1), simulated.argmax(1))
