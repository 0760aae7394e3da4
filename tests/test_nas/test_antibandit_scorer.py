"""ABanditNAS's anti-bandit scorer against Eqs. 9-13 written out by hand."""
import math

import pytest
import torch

import mmlean  # noqa: F401
from mmlean.nas import AntiBanditScorer


def make(num_groups=2, num_choices=3, **kw):
    scorer = AntiBanditScorer(**kw)
    scorer.prepare(num_groups, num_choices)
    return scorer


def test_round_length_includes_the_initialization_only_in_the_first_round():
    scorer = make(num_choices=9, rounds=3)
    assert scorer.round_length(9) == 9 * 3 + 9
    assert [scorer.round_length(k) for k in range(8, 1, -1)] == [3 * k for k in range(8, 1, -1)]
    # K = 9, T = 3: 3 (9 + 8 + ... + 2) = 132 sampled paths plus 9 initialization paths
    assert sum(scorer.round_length(k) for k in range(9, 1, -1)) == 132 + 9


def test_initialization_samples_every_op_once_per_edge_and_sets_m_to_the_reward():
    scorer = make(num_groups=3, num_choices=4)
    active = torch.ones(3, 4, dtype=torch.bool)
    plan = scorer.plan(active, None, torch.Generator().manual_seed(0))
    assert plan.shape == (4, 3)
    for g in range(3):
        assert sorted(plan[:, g].tolist()) == [0, 1, 2, 3]
    rewards = [0.2, 0.5, 0.1, 0.9]
    for row, a in zip(plan, rewards):
        scorer.record(row, a)
    for g in range(3):
        for row, a in zip(plan, rewards):
            assert scorer.performance[g, row[g]] == pytest.approx(a)
    assert torch.equal(scorer.pulls, torch.ones(3, 4))
    assert float(scorer.total_pulls) == 4
    # initialized: the next plan is a single LCB-sampled path
    assert scorer.plan(active, None, torch.Generator().manual_seed(0)).shape == (1, 3)


def test_ema_lcb_probabilities_and_ucb_abandonment_by_hand():
    scorer = make(num_groups=1, num_choices=3, lam=0.7)
    active = torch.ones(1, 3, dtype=torch.bool)
    for op, a in ((0, 0.5), (1, 0.8), (2, 0.3)):  # initialization
        scorer.record(torch.tensor([op]), a)
    scorer.record(torch.tensor([1]), 0.4)  # m_1 = 0.3 * 0.8 + 0.7 * 0.4 = 0.52
    scorer.record(torch.tensor([1]), 0.6)  # m_1 = 0.3 * 0.52 + 0.7 * 0.6 = 0.576
    m = [0.5, 0.576, 0.3]
    n = [1, 3, 1]
    big_n = 5
    assert scorer.performance[0].tolist() == pytest.approx(m)
    lcb = [m[k] - math.sqrt(2 * math.log(big_n) / n[k]) for k in range(3)]
    z = sum(math.exp(-v) for v in lcb)
    assert scorer.sampling_probs(active)[0].tolist() == pytest.approx(
        [math.exp(-v) / z for v in lcb])
    ucb = [m[k] + math.sqrt(2 * math.log(big_n) / n[k]) for k in range(3)]
    assert scorer.scores(active)[0].tolist() == pytest.approx(ucb)
    # op 1 was tried most and ends lowest under UCB even though its m is the highest
    assert ucb.index(min(ucb)) == 1
    assert scorer.abandon(active).tolist() == [1]
    # an abandoned op is neither sampled nor abandoned again
    active[0, 1] = False
    probs = scorer.sampling_probs(active)[0]
    assert probs[1] == 0 and probs.sum() == pytest.approx(1)
    assert scorer.abandon(active).tolist() == [int(torch.tensor(ucb)[[0, 2]].argmin()) * 2]


def test_sampling_frequencies_follow_the_lcb_probabilities():
    scorer = make(num_groups=2, num_choices=4)
    active = torch.ones(2, 4, dtype=torch.bool)
    active[1, 2] = False
    gen = torch.Generator().manual_seed(0)
    for row in scorer.plan(active, None, gen):
        scorer.record(row, float(torch.rand(1, generator=gen)))
    for _ in range(3):
        scorer.record(torch.tensor([1, 3]), 0.9)
    probs = scorer.sampling_probs(active)
    draws = 8000
    counts = torch.zeros(2, 4)
    gen = torch.Generator().manual_seed(1)
    for _ in range(draws):
        row = scorer.plan(active, None, gen)[0]
        counts[0, row[0]] += 1
        counts[1, row[1]] += 1
    freq = counts / draws
    # binomial standard error <= 0.0056 at 8000 draws: 5 sigma
    assert torch.allclose(freq, probs, atol=0.028), (freq, probs)
    assert counts[1, 2] == 0  # never an abandoned op


def test_bad_arguments_are_refused():
    for kw in (dict(rounds=0), dict(lam=0.0), dict(lam=1.5), dict(init_rounds=0)):
        with pytest.raises(ValueError):
            AntiBanditScorer(**kw)


def test_state_is_in_buffers():
    scorer = make()
    assert {'performance', 'pulls', 'total_pulls'} <= set(scorer.state_dict())
