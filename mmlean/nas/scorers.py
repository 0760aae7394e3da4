"""Scorers of the sample-evaluate-reduce search: which paths to sample, which op to abandon.

A scorer sees the search as a table: one row per search group (an edge alias,
shared by every cell of its type), one column per candidate op. It plans the
single paths of a reduction round, records each path's reward (a validation
accuracy in [0, 1], or what an algorithm derives from it), and at the end of
the round names the op each row abandons. All statistics are buffers, so a
checkpoint taken mid-round resumes the same round.

* :class:`PerformanceLikelihoodScorer` -- BNAS (Chen et al., AAAI 2020, arXiv
  1911.10862, "performance-based strategy"; IJCV extension arXiv 2009.04247
  adds the UCB term for 1-bit search).

* :class:`ChildParentScorer` -- CP-NAS (Zhuo et al., IJCAI 2020, arXiv 2005.00057).
* :class:`AntiBanditScorer` -- ABanditNAS (Chen et al., ECCV 2020, arXiv
  2008.00698): LCB sampling, EMA of the performance, UCB abandonment.
"""
import math
from typing import Optional

import torch
import torch.nn as nn
from mmrazor.registry import MODELS


def softmax_over(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax of ``values`` over ``mask`` (0 outside it)."""
    return torch.softmax(values.masked_fill(~mask, float('-inf')), dim=-1).nan_to_num(0.0)


def ucb_bonus(pulls: torch.Tensor, total: float, c: float = 2.0) -> torch.Tensor:
    """``sqrt(c ln N / n)`` (UCB1 with ``c = 2`` inside the root); ``inf`` where ``n = 0``."""
    log_total = math.log(max(float(total), 1.0))
    bonus = torch.sqrt(c * log_total / pulls.clamp_min(1e-12))
    return bonus.masked_fill(pulls == 0, float('inf'))


class BaseReductionScorer(nn.Module):
    """Interface of a reduction scorer (rows = search groups, columns = candidate ops).

    Subclasses implement :meth:`round_length`, :meth:`plan`, :meth:`record` and
    :meth:`scores`; :meth:`abandon` drops the lowest-scoring active op of each row.
    """

    def prepare(self, num_groups: int, num_choices: int) -> None:
        """Create the statistics buffers (called once the search space is known)."""
        self.num_groups, self.num_choices = num_groups, num_choices
        self.register_buffer('pulls', torch.zeros(num_groups, num_choices))
        self.register_buffer('total_pulls', torch.zeros(()))

    def round_length(self, num_active: int) -> int:
        """Number of sampled paths evaluated before one op per row is abandoned."""
        raise NotImplementedError

    def plan(self, active: torch.Tensor, arch_probs: Optional[torch.Tensor],
             generator: torch.Generator) -> torch.Tensor:
        """The next paths to evaluate: a (S, G) tensor of op indices."""
        raise NotImplementedError

    def record(self, choice: torch.Tensor, reward: float) -> None:
        """Add the reward of the path ``choice`` (G op indices)."""
        rows = torch.arange(self.num_groups)
        self.pulls[rows, choice] += 1
        self.total_pulls += 1

    def scores(self, active: torch.Tensor) -> torch.Tensor:
        """(G, K) scores at the end of a round; the lowest active one is abandoned."""
        raise NotImplementedError

    def end_round(self) -> None:
        """Clear the per-round statistics."""

    def abandon(self, active: torch.Tensor) -> torch.Tensor:
        """Per row, the index of the active op with the lowest score (ties: first)."""
        scores = self.scores(active).masked_fill(~active, float('inf'))
        worst = torch.argmin(scores, dim=1)
        self.end_round()
        return worst

    def strength(self, active: torch.Tensor) -> torch.Tensor:
        """(G, K) how strong each op looks now (used to rank a node's input edges)."""
        return self.scores(active)


@MODELS.register_module()
class PerformanceLikelihoodScorer(BaseReductionScorer):
    """BNAS's performance-based operation-space reduction, optionally with UCB.

    Per reduction round, with ``K`` active ops on an edge:

    1. ``O_s`` = the ``ceil(K/2)`` active ops with the smallest architecture
       weight (softmax of alpha): the ones with less potential; ``O_l`` = the rest;
    2. ``T`` times, every op of ``O_s`` is sampled once on every edge (without
       replacement), so a round evaluates ``T * ceil(K/2)`` single paths; each
       path's accuracy ``y`` is assigned to every op it contains;
    3. ``s_k = softmax_{O_s}(mean_t y_k)`` for ``k`` in ``O_s``; every op of
       ``O_l`` gets the shared optimistic ``(max_s + mean_s) / 2``;
    4. the selection likelihood ``S_k <- decay * S_k + s_k`` (decay 1/2);
    5. the op with the smallest ``S_k`` (plus, with ``ucb=True``, the bonus
       ``sqrt(ucb_c ln N / n_k)`` of the IJCV 1-bit search) is abandoned.

    The papers' method sections were not available to us; steps 1, 3 and 4
    follow the structure shared with CP-NAS/ABanditNAS and an unofficial BNAS
    re-implementation (HatemSelim94/Optimized-Binarized-Neural-Networks,
    ``search/bnas``). How the IJCV paper combines UCB with ``S`` is not
    published in what we could read: the sum is our choice.

    Args:
        rounds (int): ``T``, sampling rounds per reduction. Defaults to 3.
        decay (float): factor on the previous likelihood. Defaults to 0.5.
        candidate_fraction (float): share of the active ops sampled (the
            lowest-alpha ones). Defaults to 0.5 (``ceil(K/2)``).
        ucb (bool): add the UCB bonus when abandoning. Defaults to False.
        ucb_c (float): the constant inside the root. Defaults to 2.
    """

    def __init__(self, rounds: int = 3, decay: float = 0.5, candidate_fraction: float = 0.5,
                 ucb: bool = False, ucb_c: float = 2.0):
        super().__init__()
        if rounds < 1:
            raise ValueError(f'PerformanceLikelihoodScorer: rounds must be >= 1, got {rounds}')
        if not 0 < candidate_fraction <= 1:
            raise ValueError('PerformanceLikelihoodScorer: candidate_fraction must be in (0, 1], '
                             f'got {candidate_fraction}')
        self.rounds, self.decay = int(rounds), float(decay)
        self.candidate_fraction, self.ucb, self.ucb_c = candidate_fraction, ucb, ucb_c

    def prepare(self, num_groups: int, num_choices: int) -> None:
        super().prepare(num_groups, num_choices)
        shape = (num_groups, num_choices)
        self.register_buffer('likelihood', torch.zeros(shape))
        self.register_buffer('reward_sum', torch.zeros(shape))
        self.register_buffer('reward_count', torch.zeros(shape))
        self.register_buffer('candidates', torch.zeros(shape, dtype=torch.bool))

    def num_candidates(self, num_active: int) -> int:
        return max(1, math.ceil(num_active * self.candidate_fraction))

    def round_length(self, num_active: int) -> int:
        return self.rounds * self.num_candidates(num_active)

    def plan(self, active, arch_probs, generator):
        num_active = int(active[0].sum())
        k = self.num_candidates(num_active)
        if arch_probs is None:  # no alpha: draw the candidate half at random
            arch_probs = torch.rand(active.shape, generator=generator)
        # the k active ops with the smallest weight (ties broken by index)
        order = torch.argsort(arch_probs.masked_fill(~active, float('inf')), dim=1, stable=True)
        small = order[:, :k]
        self.candidates.zero_()
        self.candidates.scatter_(1, small, True)
        rows = []
        for _ in range(self.rounds):
            perm = torch.stack([torch.randperm(k, generator=generator)
                                for _ in range(self.num_groups)])
            rows.append(torch.gather(small, 1, perm).t())  # (k, G)
        return torch.cat(rows)

    def record(self, choice, reward):
        super().record(choice, reward)
        rows = torch.arange(self.num_groups)
        self.reward_sum[rows, choice] += float(reward)
        self.reward_count[rows, choice] += 1

    def round_scores(self) -> torch.Tensor:
        """``s_k`` of the round: softmax of the mean reward over ``O_s``, optimistic for ``O_l``."""
        mean = self.reward_sum / self.reward_count.clamp_min(1)
        small = self.candidates & (self.reward_count > 0)
        s = softmax_over(mean, small)
        s_max = s.masked_fill(~small, float('-inf')).amax(dim=1, keepdim=True)
        s_mean = s.sum(dim=1, keepdim=True) / small.sum(dim=1, keepdim=True).clamp_min(1)
        return torch.where(small, s, 0.5 * (s_max + s_mean))

    def scores(self, active):
        score = self.likelihood.clone()
        if self.ucb:
            score = score + ucb_bonus(self.pulls, float(self.total_pulls), self.ucb_c)
        return score

    def abandon(self, active):
        self.likelihood.copy_(torch.where(active, self.decay * self.likelihood
                                          + self.round_scores(), self.likelihood))
        return super().abandon(active)

    def end_round(self):
        self.reward_sum.zero_()
        self.reward_count.zero_()
        self.candidates.zero_()

    def strength(self, active):
        return self.likelihood.clone()


@MODELS.register_module()
class ChildParentScorer(BaseReductionScorer):
    """CP-NAS's child-parent indicator (Zhuo et al., IJCAI 2020, arXiv 2005.00057, Sec. 3.2).

    A round samples every active op of every edge once, ``T`` times (without
    replacement within a ``t``: fairness), so it evaluates ``T * K`` paths. The
    algorithm gives each path the reward ``z = beta_P * (A_P - A_C) + A_C``
    (:func:`child_parent_indicator`: the 1-bit child's and the full-precision
    parent's validation accuracies on the same architecture), assigned to every
    op the path holds. At the end of the round ``e_k = softmax(mean_t z_k)``
    over the active ops and every edge abandons ``argmin e``.

    Args:
        rounds (int): ``T``. Defaults to 3 (the paper leaves it symbolic; 3 is
            the value of the same group's ABanditNAS).
    """

    def __init__(self, rounds: int = 3):
        super().__init__()
        if rounds < 1:
            raise ValueError(f'ChildParentScorer: rounds must be >= 1, got {rounds}')
        self.rounds = int(rounds)

    def prepare(self, num_groups: int, num_choices: int) -> None:
        super().prepare(num_groups, num_choices)
        self.register_buffer('reward_sum', torch.zeros(num_groups, num_choices))
        self.register_buffer('reward_count', torch.zeros(num_groups, num_choices))
        self.register_buffer('last_scores', torch.zeros(num_groups, num_choices))

    def round_length(self, num_active: int) -> int:
        return self.rounds * num_active

    def plan(self, active, arch_probs, generator):
        rows = []
        for _ in range(self.rounds):
            perms = []
            for g in range(self.num_groups):
                ops = torch.nonzero(active[g]).flatten()
                perms.append(ops[torch.randperm(len(ops), generator=generator)])
            rows.append(torch.stack(perms).t())  # (K, G)
        return torch.cat(rows)

    def record(self, choice, reward):
        super().record(choice, reward)
        rows = torch.arange(self.num_groups)
        self.reward_sum[rows, choice] += float(reward)
        self.reward_count[rows, choice] += 1

    def scores(self, active):
        """``e_k = softmax over the active ops of mean_t z_k`` (Eq. of the evaluation indicator)."""
        mean = self.reward_sum / self.reward_count.clamp_min(1)
        return softmax_over(mean, active & (self.reward_count > 0))

    def abandon(self, active):
        self.last_scores.copy_(self.scores(active))
        return super().abandon(active)

    def end_round(self):
        self.reward_sum.zero_()
        self.reward_count.zero_()

    def strength(self, active):
        return self.last_scores.clone()


@MODELS.register_module()
class AntiBanditScorer(BaseReductionScorer):
    """ABanditNAS's anti-bandit rule (Chen et al., ECCV 2020, arXiv 2008.00698, Sec. 3.1).

    One bandit per edge (row), the candidate ops are its arms. With ``N`` paths
    evaluated so far and ``n_k`` pulls of arm ``k``:

    * initialization: each active op of every edge is sampled once (a random
      permutation per edge: ``K`` paths); the accuracy ``a`` of a path becomes
      ``m_k`` of every op it holds;
    * sampling (Eqs. 9-10): ``s_L = m_k - sqrt(2 ln N / n_k)`` and
      ``p_k = exp(-s_L) / sum_active exp(-s_L)``: ops that did poorly or were
      tried rarely are sampled more (the paths are drawn one at a time, each
      from the statistics the previous one left);
    * update (Eq. 11): ``m_k <- (1 - lambda) m_k + lambda a`` for the ops of the path;
    * abandonment (Eqs. 12-13) every ``K T`` paths of the round (``K`` = ops still
      active): the op with the smallest ``s_U = m_k + sqrt(2 ln N / n_k)``.

    Rewards must be fractions in [0, 1] (a percentage would make the softmax one-hot).
    How many initialization paths the paper runs is not stated; one per op is our
    choice (``init_rounds``).

    Args:
        rounds (int): ``T``. Defaults to 3 (the book chapter's Algorithm 8).
        lam (float): ``lambda`` of the EMA. Defaults to 0.7.
        c (float): the constant inside the root. Defaults to 2.
        init_rounds (int): initialization passes over the ops (>= 1: the bonus of an
            op never tried is infinite). Defaults to 1.
    """

    def __init__(self, rounds: int = 3, lam: float = 0.7, c: float = 2.0, init_rounds: int = 1):
        super().__init__()
        if rounds < 1:
            raise ValueError(f'AntiBanditScorer: rounds must be >= 1, got {rounds}')
        if not 0 < lam <= 1:
            raise ValueError(f'AntiBanditScorer: lam must be in (0, 1], got {lam}')
        if init_rounds < 1:
            raise ValueError(f'AntiBanditScorer: init_rounds must be >= 1, got {init_rounds}')
        self.rounds, self.lam, self.c, self.init_rounds = int(rounds), float(lam), float(c), \
            int(init_rounds)

    def prepare(self, num_groups: int, num_choices: int) -> None:
        super().prepare(num_groups, num_choices)
        self.register_buffer('performance', torch.zeros(num_groups, num_choices))

    def round_length(self, num_active: int) -> int:
        first = num_active == getattr(self, 'num_choices', -1)
        return self.rounds * num_active + (self.init_rounds * num_active if first else 0)

    def _initializing(self, active: torch.Tensor) -> bool:
        return bool((self.pulls[active] < self.init_rounds).any())

    def sampling_probs(self, active: torch.Tensor) -> torch.Tensor:
        """(G, K) Eq. 10: softmax over the active ops of ``-(m - sqrt(c ln N / n))``."""
        lcb = self.performance - ucb_bonus(self.pulls, float(self.total_pulls), self.c)
        return softmax_over(-lcb, active)

    def plan(self, active, arch_probs, generator):
        if self._initializing(active):
            length = int(active.sum(dim=1).max())
            rows = []
            for g in range(self.num_groups):
                ops = torch.nonzero(active[g]).flatten()
                ops = ops[torch.randperm(len(ops), generator=generator)]
                rows.append(ops.repeat(-(-length // len(ops)))[:length])  # rows with fewer ops wrap
            return torch.stack(rows).t()  # (K, G): every op once per edge
        probs = self.sampling_probs(active)
        return torch.multinomial(probs, 1, generator=generator).t()  # (1, G)

    def record(self, choice, reward):
        rows = torch.arange(self.num_groups)
        old = self.performance[rows, choice]
        fresh = self.pulls[rows, choice] == 0
        self.performance[rows, choice] = torch.where(
            fresh, torch.full_like(old, float(reward)),
            (1 - self.lam) * old + self.lam * float(reward))
        super().record(choice, reward)

    def scores(self, active):
        """(G, K) Eq. 12: ``s_U = m + sqrt(c ln N / n)``; the lowest active one is abandoned."""
        return self.performance + ucb_bonus(self.pulls, float(self.total_pulls), self.c)

    def strength(self, active):
        return self.performance.clone()


def child_parent_indicator(child_acc: float, parent_acc: float, beta_p: float) -> float:
    """``z = beta_P (A_P - A_C) + A_C`` (CP-NAS's indicator of a sampled architecture)."""
    return beta_p * (parent_acc - child_acc) + child_acc
