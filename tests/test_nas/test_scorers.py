"""Reduction scorers against the formulas written out by hand."""
import math

import pytest
import torch

import mmlean  # noqa: F401
from mmlean.nas import PerformanceLikelihoodScorer, softmax_over, ucb_bonus


def make(num_groups=2, num_choices=4, **kw):
    scorer = PerformanceLikelihoodScorer(**kw)
    scorer.prepare(num_groups, num_choices)
    return scorer


def test_plan_samples_the_lowest_alpha_half_once_per_round():
    scorer = make(rounds=3)
    active = torch.ones(2, 4, dtype=torch.bool)
    probs = torch.tensor([[0.4, 0.1, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4]])
    plan = scorer.plan(active, probs, torch.Generator().manual_seed(0))
    assert plan.shape == (3 * 2, 2) == (scorer.round_length(4), 2)
    for t in range(3):  # each round t draws every op of O_s exactly once, per edge
        rows = plan[2 * t:2 * t + 2]
        assert sorted(rows[:, 0].tolist()) == [1, 3]  # the two smallest alphas of edge 0
        assert sorted(rows[:, 1].tolist()) == [0, 1]
    # an abandoned op is never a candidate, even with the smallest alpha
    active[0, 1] = False
    plan = scorer.plan(active, probs, torch.Generator().manual_seed(0))
    assert plan.shape[0] == 3 * 2  # ceil(3 / 2) = 2
    assert 1 not in plan[:, 0].tolist()


def test_likelihood_update_and_abandonment_by_hand():
    scorer = make(num_groups=1, num_choices=4, rounds=2)
    active = torch.ones(1, 4, dtype=torch.bool)
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.4]])  # O_s = {0, 1}, O_l = {2, 3}
    scorer.plan(active, probs, torch.Generator().manual_seed(0))
    for op, reward in ((0, 0.50), (1, 0.70), (0, 0.60), (1, 0.90)):
        scorer.record(torch.tensor([op]), reward)
    mean0, mean1 = 0.55, 0.80
    e0, e1 = math.exp(mean0), math.exp(mean1)
    s0, s1 = e0 / (e0 + e1), e1 / (e0 + e1)
    s_large = 0.5 * (max(s0, s1) + (s0 + s1) / 2)
    worst = scorer.abandon(active)
    expected = torch.tensor([[s0, s1, s_large, s_large]])  # S = 0/2 + s
    assert torch.allclose(scorer.likelihood, expected)
    assert worst.tolist() == [0]
    # the round statistics are cleared; the next round decays S by 1/2
    assert scorer.reward_count.sum() == 0 and not scorer.candidates.any()
    active[0, 0] = False
    scorer.plan(active, probs, torch.Generator().manual_seed(1))  # O_s = {1, 2}
    for op, reward in ((1, 0.3), (2, 0.3), (1, 0.3), (2, 0.3)):
        scorer.record(torch.tensor([op]), reward)
    scorer.abandon(active)
    half = 0.5  # equal means: softmax 1/2 each, O_l gets (1/2 + 1/2) / 2
    assert torch.allclose(scorer.likelihood[0, 1:],
                          torch.tensor([s1 / 2 + half, s_large / 2 + half, s_large / 2 + half]))


def test_ucb_bonus_formula_and_unpulled_ops_survive():
    pulls = torch.tensor([[4.0, 1.0, 0.0]])
    bonus = ucb_bonus(pulls, 5, c=2.0)
    assert bonus[0, 0] == pytest.approx(math.sqrt(2 * math.log(5) / 4))
    assert bonus[0, 1] == pytest.approx(math.sqrt(2 * math.log(5) / 1))
    assert math.isinf(bonus[0, 2])
    scorer = make(num_groups=1, num_choices=3, ucb=True, rounds=1)
    scorer.likelihood.copy_(torch.tensor([[0.9, 0.1, 0.0]]))
    scorer.pulls.copy_(pulls)
    scorer.total_pulls.fill_(5)
    score = scorer.scores(torch.ones(1, 3, dtype=torch.bool))
    assert torch.allclose(score[0, :2], torch.tensor([0.9, 0.1]) + bonus[0, :2])
    assert math.isinf(score[0, 2])


def test_softmax_over_a_mask():
    values = torch.tensor([[1.0, 2.0, 3.0]])
    mask = torch.tensor([[True, False, True]])
    got = softmax_over(values, mask)
    e1, e3 = math.exp(1), math.exp(3)
    assert torch.allclose(got, torch.tensor([[e1 / (e1 + e3), 0.0, e3 / (e1 + e3)]]))


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match='rounds'):
        PerformanceLikelihoodScorer(rounds=0)
    with pytest.raises(ValueError, match='candidate_fraction'):
        PerformanceLikelihoodScorer(candidate_fraction=0)
