"""tools/model_converters/hrank_official.py on files in the official HRank layouts.

The released files are not available here; the tests write state dicts with the keys and
shapes of the official models (github.com/lmbxmu/HRank models/vgg.py, resnet_cifar.py,
densenet_cifar.py, googlenet_cifar.py; the ImageNet ResNet-50 in torchvision's layout, built
by torchvision; HRankPlus's physically pruned VGG-16 and ResNet-56), with seeded values,
convert them, load them strictly, and compare the converted VGG-16 and ResNet-56 (original
and pruned) with a re-statement of the official forward.
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VGG_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512]
# googlenet_cifar.py: (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool planes)
INCEPTIONS = {'a3': (192, 64, 96, 128, 16, 32, 32), 'b3': (256, 128, 128, 192, 32, 96, 64),
              'a4': (480, 192, 96, 208, 16, 48, 64), 'b4': (512, 160, 112, 224, 24, 64, 64),
              'c4': (512, 128, 128, 256, 24, 64, 64), 'd4': (512, 112, 144, 288, 32, 64, 64),
              'e4': (528, 256, 160, 320, 32, 128, 128), 'a5': (832, 256, 160, 320, 32, 128, 128),
              'b5': (832, 384, 192, 384, 48, 128, 128)}


def _converter():
    return load_script(osp.join(ROOT, 'tools', 'model_converters', 'hrank_official.py'))


class Layout:
    def __init__(self, seed=0):
        self.gen = torch.Generator().manual_seed(seed)
        self.sd = {}

    def conv(self, name, cout, cin, k, bias=False):
        self.sd[f'{name}.weight'] = torch.randn(cout, cin, k, k, generator=self.gen) * \
            (2.0 / (cin * k * k)) ** 0.5
        if bias:
            self.sd[f'{name}.bias'] = torch.randn(cout, generator=self.gen) * 0.1

    def linear(self, name, cout, cin):
        self.sd[f'{name}.weight'] = torch.randn(cout, cin, generator=self.gen) / cin ** 0.5
        self.sd[f'{name}.bias'] = torch.randn(cout, generator=self.gen) * 0.1

    def bn(self, name, c):
        self.sd[f'{name}.weight'] = torch.rand(c, generator=self.gen) + 0.5
        self.sd[f'{name}.bias'] = torch.randn(c, generator=self.gen) * 0.1
        self.sd[f'{name}.running_mean'] = torch.randn(c, generator=self.gen) * 0.1
        self.sd[f'{name}.running_var'] = torch.rand(c, generator=self.gen) + 0.5
        self.sd[f'{name}.num_batches_tracked'] = torch.tensor(3)


def vgg_state(widths=None, seed=0):
    """vgg_16_bn: features.conv{i}/norm{i} numbered by the cfg index (pools counted);
    HRankPlus's pruned VGG: the first 12 convs narrower (``widths``), the last at 512."""
    lay, cin, k = Layout(seed), 3, 0
    for i, v in enumerate(VGG_CFG):
        if v == 'M':
            continue
        v = widths[k] if widths and k < 12 else v
        lay.conv(f'features.conv{i}', v, cin, 3, bias=True)
        lay.bn(f'features.norm{i}', v)
        cin, k = v, k + 1
    lay.linear('classifier.linear1', 512, 512)
    lay.bn('classifier.norm1', 512)
    lay.linear('classifier.linear2', 10, 512)
    return lay.sd


def resnet_cifar_state(depth, stem=16, stages=(16, 32, 64), mids=None, seed=0):
    """resnet_56 / resnet_110 (HRankPlus: pruned stem, stage outputs and block mids)."""
    lay, blocks = Layout(seed), (depth - 2) // 6
    lay.conv('conv1', stem, 3, 3)
    lay.bn('bn1', stem)
    cin, b = stem, 0
    for s, width in enumerate(stages, 1):
        for j in range(blocks):
            mid = mids[b] if mids else width
            lay.conv(f'layer{s}.{j}.conv1', mid, cin, 3)
            lay.bn(f'layer{s}.{j}.bn1', mid)
            lay.conv(f'layer{s}.{j}.conv2', width, mid, 3)
            lay.bn(f'layer{s}.{j}.bn2', width)
            cin, b = width, b + 1
    lay.linear('fc' if depth == 56 else 'linear', 10, stages[-1])
    return lay.sd


def densenet40_state(seed=0):
    lay = Layout(seed)
    lay.conv('conv1', 24, 3, 3)
    cin = 24
    for d in (1, 2, 3):
        for j in range(12):
            lay.bn(f'dense{d}.{j}.bn1', cin)
            lay.conv(f'dense{d}.{j}.conv1', 12, cin, 3)
            cin += 12
        if d < 3:
            lay.bn(f'trans{d}.bn1', cin)
            lay.conv(f'trans{d}.conv1', cin, cin, 1)
    lay.bn('bn', cin)
    lay.linear('fc', 10, cin)
    return lay.sd


def googlenet_state(seed=0):
    lay = Layout(seed)
    lay.conv('pre_layers.0', 192, 3, 3, bias=True)
    lay.bn('pre_layers.1', 192)
    for name, (cin, n1, r3, n3, r5, n5, pool) in INCEPTIONS.items():
        m = f'inception_{name}'
        lay.conv(f'{m}.branch1x1.0', n1, cin, 1, bias=True)
        lay.bn(f'{m}.branch1x1.1', n1)
        lay.conv(f'{m}.branch3x3.0', r3, cin, 1, bias=True)
        lay.bn(f'{m}.branch3x3.1', r3)
        lay.conv(f'{m}.branch3x3.3', n3, r3, 3, bias=True)
        lay.bn(f'{m}.branch3x3.4', n3)
        lay.conv(f'{m}.branch5x5.0', r5, cin, 1, bias=True)
        lay.bn(f'{m}.branch5x5.1', r5)
        lay.conv(f'{m}.branch5x5.3', n5, r5, 3, bias=True)
        lay.bn(f'{m}.branch5x5.4', n5)
        lay.conv(f'{m}.branch5x5.6', n5, n5, 3, bias=True)
        lay.bn(f'{m}.branch5x5.7', n5)
        lay.conv(f'{m}.branch_pool.1', pool, cin, 1, bias=True)
        lay.bn(f'{m}.branch_pool.2', pool)
    lay.linear('linear', 10, 1024)
    return lay.sd


def resnet50_state():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.resnet50().state_dict()


# --- official forwards, restated --------------------------------------------------------------
def bn(x, sd, name):
    return F.batch_norm(x, sd[f'{name}.running_mean'], sd[f'{name}.running_var'],
                        sd[f'{name}.weight'], sd[f'{name}.bias'], False, 0.0, 1e-5)


def vgg_forward(sd, x):
    for i, v in enumerate(VGG_CFG):
        if v == 'M':
            x = F.max_pool2d(x, 2, 2)
        else:
            x = F.relu(bn(F.conv2d(x, sd[f'features.conv{i}.weight'],
                                   sd[f'features.conv{i}.bias'], padding=1), sd,
                          f'features.norm{i}'))
    x = F.avg_pool2d(x, 2).flatten(1)
    x = F.relu(bn(F.linear(x, sd['classifier.linear1.weight'], sd['classifier.linear1.bias']),
                  sd, 'classifier.norm1'))
    return F.linear(x, sd['classifier.linear2.weight'], sd['classifier.linear2.bias'])


def resnet_cifar_forward(sd, x, depth):
    x = F.relu(bn(F.conv2d(x, sd['conv1.weight'], padding=1), sd, 'bn1'))
    for s in (1, 2, 3):
        j = 0
        while f'layer{s}.{j}.conv1.weight' in sd:
            stride = 2 if s > 1 and j == 0 else 1
            out = F.relu(bn(F.conv2d(x, sd[f'layer{s}.{j}.conv1.weight'], stride=stride,
                                     padding=1), sd, f'layer{s}.{j}.bn1'))
            out = bn(F.conv2d(out, sd[f'layer{s}.{j}.conv2.weight'], padding=1), sd,
                     f'layer{s}.{j}.bn2')
            planes, cin = out.shape[1], x.shape[1]
            short = x[:, :, ::stride, ::stride]
            if planes != cin:  # option A: zero channels padded (HRankPlus: or cropped)
                short = F.pad(short, (0, 0, 0, 0, (planes - cin) // 2,
                                      planes - cin - (planes - cin) // 2))
            x = F.relu(out + short)
            j += 1
    head = 'fc' if depth == 56 else 'linear'
    return F.linear(x.mean([2, 3]), sd[f'{head}.weight'], sd[f'{head}.bias'])


STATES = {'vgg16': vgg_state, 'resnet56': lambda: resnet_cifar_state(56),
          'resnet110': lambda: resnet_cifar_state(110), 'densenet40': densenet40_state,
          'googlenet': googlenet_state, 'resnet50': resnet50_state}
FORWARDS = {'vgg16': vgg_forward, 'resnet56': lambda sd, x: resnet_cifar_forward(sd, x, 56),
            'resnet110': lambda sd, x: resnet_cifar_forward(sd, x, 110)}


def _double(sd):
    return {k: v.double() if v.is_floating_point() else v for k, v in sd.items()}


@pytest.mark.parametrize('arch', sorted(STATES))
def test_baseline_converts_loads_strictly_and_computes_the_official_forward(arch, tmp_path):
    from mmengine.runner import load_checkpoint

    import mmlean  # noqa: F401
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    official = STATES[arch]()
    src, dst = str(tmp_path / 'baseline.pth.tar'), str(tmp_path / 'converted.pth')
    if arch == 'resnet50':  # a bare torchvision-style state dict
        torch.save(official, src)
    else:  # {'state_dict': ...}, DataParallel keys (as the released densenet_40, resnet_110)
        torch.save({'state_dict': {f'module.{k}': v for k, v in official.items()}}, src)
    assert converter.main([src, dst, '--arch', arch]) == 0
    _, model = build_model(osp.join(ROOT, 'configs', 'hrank', converter.ARCHS[arch]))
    load_checkpoint(model, dst, strict=True)
    if arch in FORWARDS:
        x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(3),
                        dtype=torch.float64)
        with torch.no_grad():
            expected = FORWARDS[arch](_double(official), x)
            got = model.double()(x, mode='tensor')
        assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9 * expected.abs().max())


def test_resnet50_files_without_batch_counters(tmp_path):
    converter = _converter()
    official = {k: v for k, v in resnet50_state().items() if 'num_batches_tracked' not in k}
    src, dst = str(tmp_path / 'resnet_50.pth'), str(tmp_path / 'converted.pth')
    torch.save(official, src)
    assert converter.main([src, dst, '--arch', 'resnet50']) == 0
    from mmlean.compat.checkpoint import safe_load
    assert safe_load(dst)['meta']['filled_num_batches_tracked'] == 53


PRUNED = {
    # HRankPlus widths: int(C * (1 - rate)); VGG's 13th conv stays 512
    'vgg16': dict(state=lambda: vgg_state(widths=[35, 40, 80, 90, 150, 160, 170, 300, 310,
                                                  320, 330, 340], seed=5),
                  forward=vgg_forward),
    'resnet56': dict(state=lambda: resnet_cifar_state(
        56, stem=13, stages=(13, 26, 64),
        mids=[9, 10, 11, 12, 13, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 18, 19,
              40, 41, 42, 43, 44, 45, 46, 47, 48], seed=6),
        forward=lambda sd, x: resnet_cifar_forward(sd, x, 56)),
}


@pytest.mark.parametrize('arch', sorted(PRUNED))
def test_hrankplus_pruned_model_loads_into_the_hrank_config(arch, tmp_path):
    import mmlean  # noqa: F401
    from mmlean.projects.hrank import load_pruned
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    official = PRUNED[arch]['state']()
    src, dst = str(tmp_path / 'model_best.pth.tar'), str(tmp_path / 'pruned.pth')
    torch.save({'epoch': 300, 'state_dict': official, 'best_top1_acc': 93.0}, src)
    assert converter.main([src, dst, '--arch', arch, '--pruned']) == 0
    options = {'model.architecture.init_cfg': None}
    if arch == 'resnet56':
        options.update({'model.architecture.backbone.stem_channels': 13,
                        'model.architecture.backbone.stage_channels': (13, 26, 64)})
    _, algorithm = build_model(osp.join(ROOT, 'configs', 'hrank',
                                        converter.PRUNING_CONFIGS[arch]), options)
    pruned = load_pruned(algorithm, dst).double()
    official_params = sum(v.numel() for k, v in official.items()
                          if not k.endswith(('running_mean', 'running_var', 'tracked')))
    assert sum(p.numel() for p in pruned.parameters()) == official_params
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(4),
                    dtype=torch.float64)
    with torch.no_grad():
        expected = PRUNED[arch]['forward'](_double(official), x)
        got = pruned(x, mode='tensor')
    assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9 * expected.abs().max())
