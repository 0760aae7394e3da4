"""Bit-packed deployment: exactness against the float-simulated binary model."""
import io
import random

import pytest
import torch
import torch.nn as nn

from mmlean.binary import (BinaryConv2d, PackedBinaryConv2d, RBNNConv2d,
                           UnsupportedLayerError, convert_to_deploy)


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
    assert packed.dtype == torch.int64 and packed.numel() * 64 == 32 * 9 * 64  # 1 bit/weight (Cin 32 padded to 64)
    assert len(buf.getvalue()) < fp_bytes  # binary layers hold 1 bit per weight


def test_unsupported_layer_is_named():
    model = make_trained_like(RBNNConv2d)
    model.conv2.dilation = (2, 2)
    with pytest.raises(UnsupportedLayerError, match="'conv2'.*dilation"):
        convert_to_deploy(model, fuse_bn=False)
    model = make_trained_like(BinaryConv2d)
    model.conv1.binary_activation = False
    with pytest.raises(UnsupportedLayerError, match="'conv1'.*not binarized"):
        convert_to_deploy(model, fuse_bn=False)
