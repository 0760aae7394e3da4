"""HRank deploy forms: the optimised ResNet-56 computes what the eager pruned
model computes and keeps the paper-rate filter counts (no timing here)."""
import copy

import pytest
import torch
import torch.nn as nn

pytest.importorskip('torch_pruning')
from mmengine.registry import init_default_scope  # noqa: E402
from mmrazor.registry import MODELS  # noqa: E402

import mmlean.projects.hrank  # noqa: E402,F401
from mmlean.ops.conv3x3_net import conv3x3_net_available  # noqa: E402
from mmlean.projects.hrank.deploy import conv_channels, deploy  # noqa: E402
from mmlean.projects.hrank.flops import conv_linear_complexity  # noqa: E402

R56 = ('[0.1]+[0.60]*35+[0.0]*2+[0.6]*6+[0.4]*3+[0.1]+[0.4]+[0.1]+[0.4]+[0.1]+[0.4]'
       '+[0.1]+[0.4]')


@pytest.fixture(scope='module')
def resnet56():
    """(original, pruned) ResNet-56 with the paper's rates, random ranks and BN statistics."""
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=56),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    algo = MODELS.build(dict(_scope_='mmrazor', type='HRank', architecture=arch,
                             compress_rate=R56))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in algo.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 2, generator=g)
                m.weight.uniform_(0.5, 1.0, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels,
                                generator=g).double() for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    original = copy.deepcopy(algo.architecture).eval()
    algo.apply_masks()
    pruned = algo.export().eval()
    return original, pruned


def test_pruned_resnet56_has_the_paper_widths(resnet56):
    _, pruned = resnet56
    widths = [c[1] for c in conv_channels(pruned)[1::2]]  # block conv1s
    assert widths == [7] * 9 + [13] * 9 + [64] + [26] * 3 + [39] + [58] * 4


@pytest.mark.parametrize('form', ['eager', 'fused', 'jit'])
@pytest.mark.parametrize('which', ['original', 'pruned'])
def test_deploy_form_matches_eager_and_keeps_filters(resnet56, form, which):
    model = resnet56[0] if which == 'original' else resnet56[1]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1 if form == 'jit' else 3, 3, 32, 32, generator=g)
    deployed = deploy(model, form, (3, 32, 32))
    with torch.no_grad():
        ref = model(x, mode='tensor')
        out = deployed(x)
    assert out.shape == ref.shape
    assert torch.allclose(out, ref, atol=1e-5, rtol=1e-5), (out - ref).abs().max()
    if form == 'fused':
        # the program runs every conv of the model with its filters, nothing else
        assert deployed.conv_channels() == conv_channels(model)
        macs = conv_linear_complexity(model, (3, 32, 32))[0]
        assert deployed.macs() == pytest.approx(macs, rel=1e-6)
        assert deployed.use_ext == conv3x3_net_available()
    elif form == 'jit':
        weights = [n.inputsAt(1).toIValue() for n in deployed.graph.findAllNodes(
            'aten::_convolution')]
        assert [(w.shape[1], w.shape[0]) for w in weights] == conv_channels(model)


def test_jit_channels_last_matches(resnet56):
    _, pruned = resnet56
    x = torch.randn(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    deployed = deploy(pruned, 'jit', (3, 32, 32), channels_last=True)
    with torch.no_grad():
        assert torch.allclose(deployed(x), pruned(x, mode='tensor'), atol=1e-5, rtol=1e-5)


def test_fused_form_refuses_other_networks():
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier',
                backbone=dict(type='CIFARResNet', depth=20, shortcut='B'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    from mmpretrain.registry import MODELS as PRETRAIN
    with pytest.raises(NotImplementedError, match='identity and option-A'):
        deploy(PRETRAIN.build(arch).eval(), 'fused')
    with pytest.raises(ValueError, match='not one of'):
        deploy(PRETRAIN.build(arch).eval(), 'onnx')


def test_export_tool_checks_the_fused_form(tmp_path, run_python):
    """hrank_export.py --deploy fused on a (randomly) pruned digits ResNet-20."""
    import json

    from mmlean.utils.config import load_config
    cfg_path = 'configs/hrank/hrank_resnet20_1xb64-10e_digits.py'
    cfg = load_config(cfg_path)
    cfg.model.architecture.pop('init_cfg')
    init_default_scope('mmpretrain')
    algo = MODELS.build(cfg.model)
    g = torch.Generator().manual_seed(0)
    algo.prepare({u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels,
                                     generator=g).double() for u in algo.units})
    algo.set_active(len(algo.groups))
    ckpt, summary = str(tmp_path / 'hrank.pth'), str(tmp_path / 'summary.json')
    torch.save({'state_dict': algo.state_dict()}, ckpt)
    out = run_python('tools/deployment/hrank_export.py', cfg_path, ckpt, '--out',
                     str(tmp_path / 'pruned.pth'), '--deploy', 'fused', '--json', summary)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'deploy fused: max |output - eager pruned output|' in out.stdout
    res = json.load(open(summary))['deploy']
    assert res['form'] == 'fused' and res['max_abs_diff'] < 1e-5
    bad = run_python('tools/deployment/hrank_export.py', cfg_path, ckpt, '--out',
                     str(tmp_path / 'p2.pth'), '--deploy', 'fused', '--deploy-out', 'x.pt')
    assert bad.returncode == 2 and '--deploy-out saves' in bad.stderr
