"""CP-NAS: the indicator and its softmax by hand, child and parent in lockstep, the CP loss."""
import math

import pytest
import torch

import mmlean  # noqa: F401

# isort: split
from mmrazor.registry import MODELS

from mmlean.nas import ChildParentScorer, child_parent_indicator


def test_indicator_and_evaluation_softmax_by_hand():
    assert child_parent_indicator(0.6, 0.9, 0.0) == pytest.approx(0.6)  # BNAS: the child alone
    assert child_parent_indicator(0.6, 0.9, 0.5) == pytest.approx(0.75)
    assert child_parent_indicator(0.6, 0.9, 2.0) == pytest.approx(1.2)
    scorer = ChildParentScorer(rounds=2)
    scorer.prepare(1, 3)
    active = torch.tensor([[True, True, True]])
    plan = scorer.plan(active, None, torch.Generator().manual_seed(0))
    assert plan.shape == (6, 1) and scorer.round_length(3) == 6
    assert sorted(plan[:3, 0].tolist()) == [0, 1, 2] == sorted(plan[3:, 0].tolist())
    for op, z in ((0, 0.5), (1, 0.8), (2, 0.2), (0, 0.7), (1, 0.6), (2, 0.4)):
        scorer.record(torch.tensor([op]), z)
    means = [0.6, 0.7, 0.3]
    e = [math.exp(m) for m in means]
    expected = torch.tensor([[v / sum(e) for v in e]])
    assert torch.allclose(scorer.scores(active), expected)
    assert scorer.abandon(active).tolist() == [2]
    assert torch.allclose(scorer.last_scores, expected)


CHILD_CONV = dict(type='XNORConv2d', binary_activation=True)


def cpnas(beta_p=0.5):
    from mmengine.registry import init_default_scope

    import mmlean.projects.cpnas  # noqa: F401
    init_default_scope('mmrazor')
    candidates = dict(
        max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max'),
        sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3, conv_cfg=CHILD_CONV,
                          design='cpnas'),
        skip_connect=dict(type='BinarySkipConnect', conv_cfg=CHILD_CONV))
    backbone = dict(
        type='mmrazor.BinaryDartsBackbone', in_channels=3, base_channels=8, num_layers=3,
        num_nodes=2, stem_multiplier=2, out_indices=(2, ), conv_cfg=CHILD_CONV,
        norm_cfg=dict(type='BN', affine=False),
        mutable_cfg=dict(type='mmrazor.ReducibleMutableOP', candidates=candidates, pc_k=2),
        route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True))
    arch = dict(type='mmpretrain.ImageClassifier', backbone=backbone,
                data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
                neck=dict(type='mmpretrain.GlobalAveragePooling'),
                head=dict(type='mmpretrain.LinearClsHead', num_classes=4, in_channels=64,
                          loss=dict(type='mmpretrain.CrossEntropyLoss')))
    return MODELS.build(dict(type='mmrazor.CPNAS', architecture=arch, beta_p=beta_p,
                             mutator=dict(type='SampleReduceMutator',
                                          scorer=dict(type='ChildParentScorer', rounds=1))))


def mutables(net):
    from mmlean.nas import ReducibleMutableOP
    return {n: m for n, m in net.named_modules() if isinstance(m, ReducibleMutableOP)}


def test_child_is_binary_parent_is_full_precision_and_they_move_in_lockstep():
    from mmlean.binary import BinaryConv2d
    algo = cpnas()
    assert any(isinstance(m, BinaryConv2d) for m in algo.architecture.modules())
    assert not any(isinstance(m, BinaryConv2d) for m in algo.parent.modules())
    child, parent = mutables(algo.architecture), mutables(algo.parent)
    assert child.keys() == parent.keys()
    mutator = algo.mutator
    while not mutator.is_converged():
        for _ in range(mutator.round_length()):
            choices = mutator.next_sample()
            mutator.set_single_path(choices)
            for name in child:
                assert child[name].single_path == parent[name].single_path is not None
            mutator.set_single_path(None)
            mutator.record(float(torch.rand(())))
        for name in child:
            assert torch.equal(child[name].active, parent[name].active)
    mutator.check_twins()


def test_reward_is_the_child_parent_indicator():
    algo = cpnas(beta_p=2.0)
    seen = []

    def evaluate(model=None):
        seen.append(model)
        return 0.4 if model is None else 0.9  # child, then parent

    assert algo.sample_reward(evaluate) == pytest.approx(2.0 * (0.9 - 0.4) + 0.4)
    assert seen == [None, algo.parent]
    assert algo.last_accuracies == dict(child=0.4, parent=0.9)


def test_cp_kernel_loss_against_a_plain_restatement():
    from mmlean.binary import XNORConv2d
    from mmlean.projects.cpnas import cp_kernel_loss, kernel_pairs
    algo = cpnas()
    lam = 0.3
    for target, parent in (('parent', algo.parent), ('latent', None)):
        got = cp_kernel_loss(kernel_pairs(algo.architecture, parent, target), lam)
        parent_convs = dict(algo.parent.named_modules())
        total = 0.0
        for name, conv in algo.architecture.named_modules():
            if not isinstance(conv, XNORConv2d):
                continue
            w = conv.weight.detach()
            alpha = w.abs().mean()
            w_hat = alpha * torch.where(w < 0, -1.0, 1.0)
            h = parent_convs[name].weight.detach() if target == 'parent' else w
            for c in range(w.shape[0]):  # MSE per filter, summed
                total += float(((h[c] - w_hat[c]) ** 2).mean())
        assert float(got.detach()) == pytest.approx(lam / 2 * total, rel=1e-5)
