"""SoftMaskPruning: masks, CoGD pairs by name, export equal to the masked model."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmrazor.registry import MODELS

import mmlean.projects.cogd  # noqa: F401
from mmlean.projects.hrank.flops import conv_linear_complexity

ARCH = dict(type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                      loss=dict(type='CrossEntropyLoss')))
PAIRS = [dict(x=r'(.*)\.bn(\d+)\.soft_mask',
              A=[r'\1.conv\2.weight', r'\1.bn\2.weight', r'\1.bn\2.bias'], l1=1e-3,
              nonneg=True)]


def _build(**kw):
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    return MODELS.build(dict(_scope_='mmrazor', type='SoftMaskPruning', architecture=ARCH,
                             input_shape=(3, 16, 16), **kw))


def test_masks_on_block_internal_convs():
    algo = _build(prune_rate=0.5)
    names = [n for n, _ in algo.named_parameters() if n.endswith('soft_mask')]
    # CIFARResNet-8 (option A shortcuts): conv1 of each of the 3 blocks
    assert names == [f'architecture.backbone.layer{i}.0.bn1.soft_mask' for i in (1, 2, 3)]
    x = torch.randn(2, 3, 16, 16)
    algo.eval()
    with torch.no_grad():
        ref = algo(x, mode='tensor')
        for m in algo.masks().values():
            m.fill_(0.5)
        half = algo(x, mode='tensor')
    assert not torch.allclose(ref, half)


def test_export_equals_masked_model():
    algo = _build(prune_rate=0.5)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in algo.masks().values():
            m.copy_(torch.rand(m.shape, generator=g))
            m[::3] = 0
    algo.eval()
    x = torch.randn(4, 3, 16, 16, generator=g)
    masked = algo.masked_copy().eval()
    pruned = algo.export().eval()
    with torch.no_grad():
        torch.testing.assert_close(pruned(x, mode='tensor'), masked(x, mode='tensor'),
                                   rtol=1e-5, atol=1e-5)
        # without dropping, the folded copy is the masked algorithm itself
        torch.testing.assert_close(algo.masked_copy(drop=False).eval()(x, mode='tensor'),
                                   algo(x, mode='tensor'), rtol=1e-5, atol=1e-6)
    convs = [pruned.get_submodule(g.convs[0]) for g in algo.groups]
    assert [c.out_channels for c in convs] == [8, 16, 32]
    # the zero masks (every third channel) are among the dropped ones
    for grp in algo.select():
        assert not set(range(0, grp.channels, 3)) & set(grp.kept)
    full = conv_linear_complexity(algo.architecture, (3, 16, 16))
    small = conv_linear_complexity(pruned, (3, 16, 16))
    assert small[0] < full[0] and small[1] < full[1]


def test_cogd_and_sgd_train_steps():
    algo = _build(prune_rate=0.5, l1_loss=1e-3)
    data = dict(inputs=[torch.randint(0, 255, (3, 16, 16), dtype=torch.uint8)
                        for _ in range(4)])
    from mmpretrain.structures import DataSample
    data['data_samples'] = [DataSample().set_gt_label(i) for i in range(4)]
    for opt in (dict(type='CoGD', lr=0.1, momentum=0.9, rule='paper', total_steps=5),
                dict(type='SGD', lr=0.1, momentum=0.9)):
        cfg = dict(optimizer=opt)
        if opt['type'] == 'CoGD':
            cfg.update(constructor='CoGDOptimWrapperConstructor',
                       paramwise_cfg=dict(cogd_pairs=PAIRS))
        wrapper = build_optim_wrapper(algo, cfg)
        if opt['type'] == 'CoGD':
            assert sum(g['cogd_pair'] for g in wrapper.optimizer.param_groups) == 3
        losses = algo.train_step(data, wrapper)
        assert 'loss_mask_l1' in losses and torch.isfinite(losses['loss']).all()


def test_rate_errors():
    with pytest.raises(ValueError, match='3 masked convs'):
        _build(prune_rate=[0.5, 0.5])
    with pytest.raises(ValueError, match='not masked convs'):
        _build(prune_rate={'architecture.backbone.conv1': 0.5})


def test_hook_fills_horizon_and_exports(tmp_path):
    import logging
    from types import SimpleNamespace

    from mmlean.projects.cogd import CoGDHook, load_pruned
    algo = _build(prune_rate=0.25)
    with torch.no_grad():
        for m in algo.masks().values():
            m.copy_(torch.linspace(0, 1, m.numel()))
    wrapper = build_optim_wrapper(algo, dict(
        constructor='CoGDOptimWrapperConstructor', optimizer=dict(type='CoGD', lr=0.1),
        paramwise_cfg=dict(cogd_pairs=PAIRS)))
    runner = SimpleNamespace(optim_wrapper=wrapper, max_iters=37, model=algo,
                             work_dir=str(tmp_path), logger=logging.getLogger('cogd-test'))
    hook = CoGDHook()
    hook.before_train(runner)
    pairs = [g for g in wrapper.optimizer.param_groups if g['cogd_pair']]
    assert pairs and all(g['total_steps'] == 37 for g in pairs)
    hook.after_train(runner)
    algo.eval()
    x = torch.randn(2, 3, 16, 16)
    fresh = _build(prune_rate=0.5)  # another rate: the file's kept channels decide
    pruned = load_pruned(fresh, str(tmp_path / 'pruned.pth'))
    with torch.no_grad():
        torch.testing.assert_close(pruned(x, mode='tensor'),
                                   algo.export().eval()(x, mode='tensor'))
    assert [pruned.get_submodule(g.convs[0]).out_channels for g in fresh.groups] == [12, 24, 48]
