"""The BNAS evaluation network: binarized layers, sub_model build + a training step,
the ImageNet stem, the parameter count of the released net against a hand count."""
import copy
import logging
import os.path as osp

import pytest
import torch
import torch.nn as nn

import mmlean  # noqa: F401
from mmlean.binary import XNORConv2d
from mmlean.nas import BNAS_XNOR_1, BinaryDartsBackbone, count_parameters
from mmlean.nas.ops import BinaryDilConv, BinarySepConv, BinarySkipConnect

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/bnas/bnas-xnor-c36l20-1w32a_1xb96-600e_cifar10.py')
OP_TYPES = {'skip_connect': BinarySkipConnect, 'sep_conv_3x3': BinarySepConv,
            'dil_conv_3x3': BinaryDilConv, 'dil_conv_5x5': BinaryDilConv}


@pytest.fixture(autouse=True)
def quiet_init_report():
    """sub_model's init_weights logs every parameter at INFO."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def load_cfg(channels=8, layers=5, config=CONFIG):
    from mmlean.utils.config import load_config
    cfg = load_config(config)
    b = cfg.model.cfg.backbone
    b.base_channels, b.num_layers, b.out_indices = channels, layers, (layers - 1, )
    cfg.model.cfg.head.in_channels = 16 * channels
    return cfg


def build(cfg):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return MODELS.build(copy.deepcopy(cfg.model))


def batch(model, n=4, size=32, train=True):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (3, size, size), generator=g).to(torch.uint8)
              for _ in range(n)]
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples), train)


def test_sub_model_keeps_the_genotype_and_binarizes_as_the_official_code():
    model = build(load_cfg())
    backbone = model.backbone
    assert isinstance(backbone, BinaryDartsBackbone)
    # full precision: stem, FactorizedReduce preprocessing, auxiliary head
    assert type(backbone.stem[0]) is nn.Conv2d and backbone.stem[1].affine
    aux_convs = [m for m in backbone.auxliary_module.modules() if isinstance(m, nn.Conv2d)]
    assert aux_convs and all(type(m) is nn.Conv2d for m in aux_convs)
    assert backbone.auxliary_module.net[1].stride == 3  # DARTS's AvgPool2d(5, stride=3)
    for i, cell in enumerate(backbone.cells):
        after_reduction = i - 1 in (5 // 3, 2 * 5 // 3)
        pre0 = cell.preproc0
        if after_reduction:
            assert type(pre0).__name__ == 'FactorizedReduce'
            assert type(pre0.conv1) is nn.Conv2d and type(pre0.conv2) is nn.Conv2d
        else:
            assert isinstance(pre0.net[1], XNORConv2d)
        assert isinstance(cell.preproc1.net[1], XNORConv2d)
        # the kept edges and ops are the genotype's
        kind = 'reduce' if cell.reduction else 'normal'
        edges = getattr(BNAS_XNOR_1, kind)
        for j, node in enumerate(cell.nodes):
            route = node.route
            expected = {f'{kind}_n{j + 2}_p{src}': op for op, src in edges[2 * j:2 * j + 2]}
            assert set(route._candidates) == set(expected)
            for alias, op in expected.items():
                mutable = route._candidates[alias]
                assert list(mutable._candidates) == [op]
                built = mutable._candidates[op]
                if op in OP_TYPES:
                    assert isinstance(built, OP_TYPES[op])
                    stride = 2 if cell.reduction and int(alias[-1]) < 2 else 1
                    assert built.stride == stride
    op_convs = [m for c in backbone.cells for m in c.nodes.modules() if isinstance(m, nn.Conv2d)]
    assert op_convs and all(isinstance(m, XNORConv2d) for m in op_convs)


def test_sub_model_training_step_and_prediction():
    model = build(load_cfg())
    from mmengine.optim import build_optim_wrapper
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9), clip_grad=dict(max_norm=5)))
    before = model.backbone.cells[0].preproc1.net[1].weight.detach().clone()
    model.train()
    log = model.train_step(batch(model), wrapper)
    assert {'loss', 'aux_head.loss'} <= set(log)
    assert torch.isfinite(log['loss']) and torch.isfinite(log['aux_head.loss'])
    assert not torch.equal(before, model.backbone.cells[0].preproc1.net[1].weight)
    # the auxiliary loss has weight 0.4 over a 10-class cross entropy
    assert 0 < log['aux_head.loss'] < 0.4 * 10
    model.eval()
    with torch.no_grad():
        preds = model(**batch(model, train=False), mode='predict')
    assert len(preds) == 4 and preds[0].pred_score.shape == (10, )
    feats = model.backbone(torch.randn(2, 3, 32, 32))
    assert len(feats) == 1 and feats[0].shape == (2, 128, 8, 8)


def test_w1a1_config_binarizes_activations_with_the_cpnas_design():
    config = osp.join(ROOT, 'configs/bnas/bnas-xnor-c36l20-1w1a_1xb96-600e_cifar10.py')
    cfg = load_cfg(config=config)
    model = build(cfg)
    convs = [m for m in model.backbone.cells.modules() if isinstance(m, XNORConv2d)]
    assert convs and all(m.binary_activation for m in convs)
    designs = {m.design for m in model.backbone.modules() if isinstance(m, (BinaryDilConv,
                                                                            BinarySepConv))}
    assert designs == {'cpnas'}
    model.train()
    losses = model(**batch(model), mode='loss')
    assert torch.isfinite(losses['loss'])


def small_backbone(**kw):
    mutable_cfg = dict(type='mmrazor.DiffMutableOP', candidates=dict(
        sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3),
        skip_connect=dict(type='BinarySkipConnect')))
    route_cfg = dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True)
    args = dict(in_channels=3, base_channels=8, mutable_cfg=mutable_cfg, route_cfg=route_cfg,
                num_layers=5, out_indices=(4, ), auxliary=True, aux_channels=16,
                aux_out_channels=32)
    args.update(kw)
    return BinaryDartsBackbone(**args), mutable_cfg


def test_configs_are_not_filled_with_modules_and_stem_bn_is_affine():
    backbone, mutable_cfg = small_backbone(norm_cfg=dict(type='BN', affine=False))
    assert 'module_kwargs' not in mutable_cfg and 'alias' not in mutable_cfg
    assert backbone.stem[1].affine  # mmrazor builds it from the non-affine norm_cfg
    assert not backbone.cells[0].preproc1.net[2].affine


def test_imagenet_stem_and_aux_head():
    backbone, _ = small_backbone(stem_type='imagenet')
    assert not hasattr(backbone, 'stem')
    assert type(backbone.cells[0].preproc0).__name__ == 'FactorizedReduce'
    assert backbone.auxliary_module.net[1].stride == 2
    assert isinstance(backbone.auxliary_module.net[6], nn.Identity)  # DARTS: no BN there
    backbone.train()
    aux, out = backbone(torch.randn(2, 3, 224, 224))
    assert aux.shape == (2, 32, 1, 1)  # after cell 2L/3 at 7x7: pool 5/2 -> 2x2, conv 2x2
    assert out.shape == (2, 4 * 4 * 8, 7, 7)  # 224 / 8 stems / 4 reductions = 7
    with pytest.raises(ValueError, match='stem_multiplier'):
        small_backbone(stem_type='imagenet', stem_multiplier=3)
    with pytest.raises(ValueError, match='stem_type'):
        small_backbone(stem_type='tiny')


def hand_count(genotype, C, layers, num_classes=10, stem_multiplier=3):
    """Parameters of the official BNAS NetworkCIFAR (no auxiliary head), summed per op."""
    def op_params(op, c, stride):
        bn = 2 * c
        return {
            'none': 0, 'max_pool_3x3': bn, 'avg_pool_3x3': bn,
            'skip_connect': 0 if stride == 1 else 2 * c * (c // 2) + bn,
            'sep_conv_3x3': 2 * (c * 9 + c * c + bn), 'sep_conv_5x5': 2 * (c * 25 + c * c + bn),
            'dil_conv_3x3': c * 9 + c * c + bn, 'dil_conv_5x5': c * 25 + c * c + bn,
        }[op]

    c_stem = stem_multiplier * C
    total = 3 * c_stem * 9 + 2 * c_stem  # stem conv + BN
    c_pp, c_p, c = c_stem, c_stem, C
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        c = c * 2 if reduction else c
        # preprocess0 (ReLUConvBN or FactorizedReduce: c_pp * c weights either way) + preprocess1
        total += c_pp * c + 2 * c + c_p * c + 2 * c
        edges = genotype.reduce if reduction else genotype.normal
        total += sum(op_params(op, c, 2 if reduction and src < 2 else 1) for op, src in edges)
        c_pp, c_p = c_p, 4 * c
    return total + c_p * num_classes + num_classes  # classifier


def test_param_count_of_the_released_network():
    """BNAS_XNOR_1, C=36, 20 cells: the built net against the hand count (aux excluded)."""
    model = build(load_cfg(36, 20))
    counts = count_parameters(model)
    assert counts['params'] == hand_count(BNAS_XNOR_1, 36, 20) == 2499814
    # auxiliary head: 1x1 conv C_aux->128 + BN, 2x2 conv 128->768 + BN, linear 768->10
    c_aux = 4 * 4 * 36
    assert counts['aux_params'] == c_aux * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 10 + 10
