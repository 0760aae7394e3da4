"""freeze_fp_chains: the FP parts of a deploy model folded/frozen, the output unchanged."""
import pytest
import torch
import torch.nn as nn

from mmlean.binary import FrozenFPChain, PackedBinaryConv2d, convert_to_deploy, freeze_fp_chains


def randomize_bn(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)


@pytest.fixture(scope='module')
def bireal_deploy():
    """A deployed Bi-Real ResNet-18 (RBNN convs, FP stem and 1x1 downsamples), 64 px."""
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.rbnn  # noqa: F401
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    arch = dict(type='ImageClassifier', backbone=dict(type='BiRealResNet', depth=18,
                                                      act_cfg=dict(type='Hardtanh')),
                neck=dict(type='PoolBatchNormNeck', in_channels=512),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
    rbnn = MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch,
                             keep_fp=['*shortcut*'])).eval()
    randomize_bn(rbnn)
    x = torch.randn(1, 3, 64, 64).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        for m in rbnn.modules():
            if hasattr(m, 'update_rotation'):
                m.update_rotation()
        convert_to_deploy(rbnn.architecture, sample=x)
    return rbnn.architecture, x


def test_stem_frozen_downsample_bn_folded_output_unchanged(bireal_deploy):
    import copy
    model, x = bireal_deploy
    frozen = copy.deepcopy(model)
    with torch.no_grad():
        reference = model(x)
        names = freeze_fp_chains(frozen, x)
        x2 = torch.randn(2, 3, 64, 64).contiguous(memory_format=torch.channels_last)
        other, other_ref = frozen(x2), model(x2)
    assert names == ['backbone.conv1'] + [f'backbone.layer{i}.0.shortcut.0' for i in (2, 3, 4)]
    backbone = frozen.backbone
    # conv -> BN -> Hardtanh -> max-pool is one frozen graph; the rest are identities
    assert isinstance(backbone.conv1, FrozenFPChain)
    assert backbone.conv1.names == ['backbone.conv1', 'backbone.bn1', 'backbone.relu',
                                    'backbone.maxpool']
    assert all(isinstance(getattr(backbone, n), nn.Identity) for n in ('bn1', 'relu', 'maxpool'))
    # a downsample's BN is folded into its (eager) conv
    shortcut = backbone.layer2[0].shortcut
    assert type(shortcut[0]) is nn.Conv2d and shortcut[0].bias is not None
    assert isinstance(shortcut[1], nn.Identity)
    # the binary convs are untouched
    assert sum(isinstance(m, PackedBinaryConv2d) for m in frozen.modules()) == 16
    assert (frozen(x) - reference).abs().max().item() <= 1e-4
    assert (other - other_ref).abs().max().item() <= 1e-4  # another batch size too


class SharedIntermediate(nn.Module):
    """conv -> BN -> ReLU, but the conv's output is also added at the end."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU()

    def forward(self, x):
        y = self.conv(x)
        return self.act(self.bn(y)) + y


def test_chain_whose_intermediate_is_used_elsewhere_is_put_back():
    torch.manual_seed(0)
    model = SharedIntermediate().eval()
    randomize_bn(model)
    x = torch.randn(1, 3, 10, 10)
    with torch.no_grad():
        reference = model(x)
        assert freeze_fp_chains(model, x) == []
        out = model(x)
    assert type(model.conv) is nn.Conv2d and isinstance(model.bn, nn.BatchNorm2d)
    assert torch.equal(out, reference)
