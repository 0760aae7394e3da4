"""Bit-packed deployment: exactness against the float-simulated binary model."""
import io
import random

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlean.binary import (BinaryConv2d, PackedBinaryConv2d, RBNNConv2d, UnsupportedLayerError,
                           XNORConv2d, convert_to_deploy)


def random_case(rng):
    cin = rng.choice([3, 16, 64, 65, 128])
    cout = rng.choice([8, 16, 24, 40])
    k = rng.choice([1, 3])
    stride = rng.choice([1, 2])
    padding = rng.choice([0, 1]) if k == 3 else 0
    n = rng.randint(1, 4)
    h, w = rng.randint(3, 12), rng.randint(3, 12)
    return n, cin, cout, k, stride, padding, h, w


@pytest.mark.parametrize('seed', range(12))
@pytest.mark.parametrize('cls', [RBNNConv2d, BinaryConv2d])
def test_packed_layer_equals_simulated_layer(seed, cls):
    rng = random.Random(seed)
    n, cin, cout, k, stride, padding, h, w = random_case(rng)
    torch.manual_seed(seed)
    conv = cls(cin, cout, k, stride=stride, padding=padding, bias=False)
    if isinstance(conv, RBNNConv2d):
        conv.update_rotation()
    with torch.no_grad():
        conv.scale.uniform_(0.5, 1.5)
    conv.eval()
    x = torch.randn(n, cin, h, w) * 2 + 0.3
    with torch.no_grad():
        sim = conv(x)
        packed = PackedBinaryConv2d(conv.binary_weight(), conv.scale, torch.zeros(cout),
                                    stride, padding, 'mean')
        dep = packed(x)
    assert dep.shape == sim.shape
    assert (dep - sim).abs().max().item() <= 1e-4


class TinyBNN(nn.Module):
    """FP stem, two binary convs (one strided), BN after each, FP head."""

    def __init__(self, conv_cls):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1 = conv_cls(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = conv_cls(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.down = conv_cls(16, 32, 1, stride=2, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.nn.functional.hardtanh(self.bn0(self.stem(x)))
        y = torch.nn.functional.hardtanh(self.bn1(self.conv1(x)) + self.bn3(self.down(x)))
        y = torch.nn.functional.hardtanh(self.bn2(self.conv2(y)) + y)
        return self.fc(y.mean((2, 3)))


def make_trained_like(conv_cls, seed=0):
    torch.manual_seed(seed)
    model = TinyBNN(conv_cls)
    for m in model.modules():
        if isinstance(m, RBNNConv2d):
            m.update_rotation()
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-2, 2)
            m.running_var.uniform_(0.5, 3)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


@pytest.mark.parametrize('conv_cls', [RBNNConv2d, BinaryConv2d])
def test_deploy_model_unfused_logits_within_1e4(conv_cls):
    model = make_trained_like(conv_cls)
    x = torch.randn(8, 3, 16, 16)
    with torch.no_grad():
        sim = model(x)
        names = convert_to_deploy(model, fuse_bn=False)
        dep = model(x)
    assert names == ['conv1', 'conv2', 'down']
    assert all(isinstance(model.get_submodule(n), PackedBinaryConv2d) for n in names)
    assert (dep - sim).abs().max().item() <= 1e-4


def test_deploy_model_fuses_bn_into_the_epilogue():
    model = make_trained_like(RBNNConv2d, seed=1)
    x = torch.randn(8, 3, 16, 16)
    with torch.no_grad():
        sim = model(x)
        convert_to_deploy(model, sample=x[:1], fuse_bn=True)
        dep = model(x)
    assert isinstance(model.bn1, nn.Identity) and isinstance(model.bn2, nn.Identity)
    assert isinstance(model.bn3, nn.Identity) and isinstance(model.bn0, nn.BatchNorm2d)
    # folding BN changes float rounding only (~1e-7 relative); a threshold
    # comparison can flip on a value that close to the mean, so compare loosely
    assert (dep - sim).abs().max().item() < 1e-3
    assert torch.equal(dep.argmax(1), sim.argmax(1))


def test_deploy_state_dict_is_small_and_loads_weights_only():
    model = make_trained_like(RBNNConv2d)
    fp_bytes = sum(p.numel() * 4 for p in model.parameters())
    convert_to_deploy(model, sample=torch.randn(1, 3, 16, 16))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    packed = state['conv2.weight_blocked']
    # 1 bit per weight (Cin 32 padded to 64)
    assert packed.dtype == torch.int64 and packed.numel() * 64 == 32 * 9 * 64
    assert len(buf.getvalue()) < fp_bytes  # binary layers hold 1 bit per weight


def test_unsupported_layer_is_named():
    model = make_trained_like(RBNNConv2d)
    model.conv2.dilation = (2, 1)
    with pytest.raises(UnsupportedLayerError, match="'conv2'.*dilation"):
        convert_to_deploy(model, fuse_bn=False)
    model = make_trained_like(BinaryConv2d)
    model.conv1.binary_activation = False
    with pytest.raises(UnsupportedLayerError, match="'conv1'.*not binarized"):
        convert_to_deploy(model, fuse_bn=False)


# --- grouped, depthwise and dilated layers (binarized DARTS operations) ------

def sign_conv_reference(x, weight, scale, bias, stride, padding, dilation, groups, thr):
    """Float simulation: conv of +-1 tensors, then y * scale + bias."""
    xs = torch.where(x < thr.view(-1, 1, 1, 1), -1.0, 1.0)
    y = F.conv2d(xs, torch.where(weight < 0, -1.0, 1.0), None, stride, padding, dilation,
                 groups)
    return y * scale.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)


@pytest.mark.parametrize('seed', range(8))
def test_packed_grouped_dilated_layer_equals_float_conv(seed):
    rng = random.Random(seed)
    cin = rng.choice([3, 48, 65, 130])
    groups = rng.choice([g for g in (1, 2, cin) if cin % g == 0])
    cout = cin if groups == cin else groups * rng.randint(1, 10)
    k, dilation, stride = rng.choice([1, 3, 5]), rng.choice([1, 2]), rng.choice([1, 2])
    padding = rng.randint(0, dilation * (k // 2))
    size = dilation * (k - 1) + 1 + rng.randint(0, 6)
    torch.manual_seed(seed)
    x = torch.randn(2, cin, size, size + 1) + 0.2
    weight = torch.randn(cout, cin // groups, k, k)
    scale, bias = torch.rand(cout) + 0.5, torch.randn(cout)
    threshold = rng.choice(['mean', 'zero'])
    layer = PackedBinaryConv2d(weight, scale, bias, stride, padding, threshold,
                               dilation=dilation, groups=groups)
    thr = x.mean((1, 2, 3)) if threshold == 'mean' else torch.zeros(2)
    expected = sign_conv_reference(x, weight, scale, bias, stride, padding, dilation,
                                   groups, thr)
    with torch.no_grad():
        got = layer(x)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-4
    assert f'groups={groups}' in repr(layer) or groups == 1


def test_packed_depthwise_layer_holds_one_bit_per_weight():
    layer = PackedBinaryConv2d(torch.randn(130, 1, 5, 5), torch.ones(130), torch.zeros(130),
                               padding=4, dilation=2, groups=130)
    assert layer.weight_blocked.shape == (5, 5, 3)  # 130 channels in 3 words per tap
    assert layer.weight_neg.numel() == 0
    with pytest.raises(ValueError, match='groups=4'):
        PackedBinaryConv2d(torch.randn(6, 1, 3, 3), torch.ones(6), torch.zeros(6), groups=4)
    with pytest.raises(ValueError, match='scale must have 6'):
        PackedBinaryConv2d(torch.randn(6, 1, 3, 3), torch.ones(5), torch.zeros(6), groups=6)


class GroupedBinaryConv(BinaryConv2d):
    """Stand-in for a grouped ``BinaryConv2d`` (its training support is added
    separately): the deploy converter needs only the attributes, the binary
    weight and ``output_scale``. ``per_tensor`` mimics an XNOR-Net conv whose
    scale is one alpha (arXiv 1603.05279) broadcast over the output channels."""

    def __init__(self, cin, cout, k, groups=1, per_tensor=False, **kwargs):
        super().__init__(cin, cout, k, bias=False, **kwargs)
        self.groups, self.per_tensor = groups, per_tensor
        self.weight = nn.Parameter(torch.randn(cout, cin // groups, k, k))
        self.reset_scale()

    def output_scale(self):
        scale = self.scale.reshape(-1)
        return scale.mean().expand_as(scale) if self.per_tensor else scale

    def forward(self, x):
        xs = self.binarize_activation(self.prepare_activation(x))
        y = F.conv2d(xs, self.binary_weight(), None, self.stride, self.padding,
                     self.dilation, self.groups)
        return y * self.output_scale().view(1, -1, 1, 1)


class BinaryDARTSCell(nn.Module):
    """DilConv 3x3 (dilation 2) and SepConv 5x5 (stride 2) of binarized DARTS:
    ReLU -> binary depthwise -> binary 1x1 -> BN, summed with a pooled input."""

    def __init__(self, c=48):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.dil_dw = GroupedBinaryConv(c, c, 3, groups=c, padding=2, dilation=2)
        self.dil_pw = GroupedBinaryConv(c, c, 1, per_tensor=True)
        self.dil_bn = nn.BatchNorm2d(c)
        self.sep_dw1 = GroupedBinaryConv(c, c, 5, groups=c, stride=2, padding=2)
        self.sep_pw1 = GroupedBinaryConv(c, c, 1)
        self.sep_bn1 = nn.BatchNorm2d(c)
        self.sep_dw2 = GroupedBinaryConv(c, c, 5, groups=c, padding=2)
        self.sep_pw2 = GroupedBinaryConv(c, c, 1)
        self.sep_bn2 = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        x = self.stem(x)
        y = self.dil_bn(self.dil_pw(self.dil_dw(F.relu(x))))
        z = self.sep_bn1(self.sep_pw1(self.sep_dw1(F.relu(y))))
        z = self.sep_bn2(self.sep_pw2(self.sep_dw2(F.relu(z))))
        return self.fc((z + F.avg_pool2d(y, 2)).mean((2, 3)))


def make_darts_cell(seed=0):
    torch.manual_seed(seed)
    model = BinaryDARTSCell()
    for m in model.modules():
        if isinstance(m, BinaryConv2d):
            m.scale.data.uniform_(0.5, 1.5)
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-2, 2)
            m.running_var.uniform_(0.5, 3)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


@pytest.mark.parametrize('fuse_bn', [False, True])
def test_deploy_binary_darts_cell(fuse_bn):
    model = make_darts_cell()
    x = torch.randn(4, 3, 12, 12)
    with torch.no_grad():
        sim = model(x)
        names = convert_to_deploy(model, sample=x[:1], fuse_bn=fuse_bn)
        dep = model(x)
    assert len(names) == 6
    dw = model.dil_dw
    assert (dw.groups, dw.dilation, dw.padding) == (48, 2, 2) and dw.weight_blocked.dim() == 3
    assert isinstance(model.dil_bn, nn.Identity) == fuse_bn
    # the per-tensor scale came from output_scale(), not the per-channel parameter
    if not fuse_bn:
        assert torch.allclose(model.dil_pw.scale, model.dil_pw.scale[0].expand(48))
    tol = 1e-3 if fuse_bn else 1e-4  # BN folding changes float rounding only
    assert (dep - sim).abs().max().item() <= tol


@pytest.mark.parametrize('conv_cls', [BinaryConv2d, RBNNConv2d, XNORConv2d])
def test_deploy_grouped_dilated_binary_convs(conv_cls):
    """The training-side classes with groups and dilation, end to end."""
    torch.manual_seed(0)
    kwargs = dict(bias=False, binary_activation=True)
    model = nn.Sequential(
        nn.Conv2d(3, 40, 3, padding=1), nn.ReLU(),
        conv_cls(40, 40, 3, padding=2, dilation=2, groups=40, **kwargs),
        conv_cls(40, 40, 1, **kwargs), nn.BatchNorm2d(40), nn.ReLU(),
        conv_cls(40, 40, 5, stride=2, padding=2, groups=40, **kwargs),
        conv_cls(40, 24, 3, padding=1, groups=4, **kwargs), nn.BatchNorm2d(24))
    for m in model.modules():
        if isinstance(m, RBNNConv2d):
            m.update_rotation()
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    model.eval()
    x = torch.randn(2, 3, 14, 13)
    with torch.no_grad():
        sim = model(x)
        names = convert_to_deploy(model, sample=x[:1])
        dep = model(x)
    assert len(names) == 4 and model[2].groups == 40 and model[2].dilation == 2
    assert (dep - sim).abs().max().item() <= 1e-3  # BN folding changes rounding only


@pytest.mark.parametrize('act', ['Hardtanh', 'ReLU', 'GELU'])
def test_bireal_blocks_add_shortcut_and_activation_in_the_epilogue(act, monkeypatch):
    """Deployed Bi-Real blocks pass the shortcut and a clamp-like activation to
    the binary conv's epilogue: the same tensor as the separate ops."""
    from mmlean.models.backbones import CIFARBasicBlock, CIFARResNet
    torch.manual_seed(0)
    model = CIFARResNet(stem_channels=16, stage_channels=(16, 40), stage_blocks=(1, 2),
                        shortcut='B', bireal=True, conv_cfg=dict(type='RBNNConv2d'),
                        act_cfg=dict(type=act))
    for m in model.modules():
        if isinstance(m, RBNNConv2d):
            m.update_rotation()
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()
    x = torch.randn(2, 3, 12, 11)
    calls = []
    fused = PackedBinaryConv2d.forward_residual

    def counted(self, *args):
        calls.append(self)
        return fused(self, *args)

    with torch.no_grad():
        convert_to_deploy(model, sample=x[:1])
        blocks = [m for m in model.modules() if isinstance(m, CIFARBasicBlock)]
        assert len(blocks) == 3 and all(b._fused_deploy() for b in blocks)
        monkeypatch.setattr(PackedBinaryConv2d, 'forward_residual', counted)
        out = model(x)[0]
        assert len(calls) == 6
        monkeypatch.setattr(CIFARBasicBlock, '_fused_deploy', lambda self: False)
        separate = model(x)[0]
    assert torch.equal(out, separate)
