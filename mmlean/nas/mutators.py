"""The sample-evaluate-reduce mutator shared by BNAS, CP-NAS, ABanditNAS (and NAS-Count).

Built on mmrazor's ``NasMutator`` (alias search groups, ``set_choices``,
architecture parameters for DARTS-style mutables). It adds, for the groups of
:class:`~mmlean.nas.ReducibleMutableOP` (one group per edge alias, shared by
all cells of a type):

* a plan of single paths per reduction round, made by a pluggable scorer
  (:mod:`mmlean.nas.scorers`) on rank 0 and broadcast to every rank;
* ``record(reward)`` of each evaluated path and, when the round is complete,
  the abandonment of the worst op of every group (all mutables of an alias in
  lockstep), with the history of what was dropped where and when;
* the final derivation (one op per edge, the strongest input edges per node)
  and its export as mmrazor's ``fix_subnet``.

Everything the search needs to continue after ``--resume`` (the plan, the
position in it, the scorer's statistics, the history, the active masks of the
mutables) is in buffers of the algorithm's state dict.
"""
from typing import Dict, List, Optional

import torch
from mmengine.dist import broadcast, get_rank
from mmengine.logging import print_log
from mmrazor.models.mutables import DiffChoiceRoute
from mmrazor.models.mutators import NasMutator
from mmrazor.registry import MODELS

from .mutables import ReducibleMutableOP, SearchSpaceError


@MODELS.register_module()
class SampleReduceMutator(NasMutator):
    """``NasMutator`` + a reduction scorer: sample single paths, record rewards, abandon.

    Args:
        scorer (dict): a scorer config, e.g. ``dict(type='PerformanceLikelihoodScorer')``.
        seed (int, optional): seed of the plan generator (the plan is drawn on rank
            0). Defaults to None: the seed torch was last seeded with, i.e. the run's
            ``randomness.seed`` when the Runner builds the model (it seeds before
            building), so a search with ``--cfg-options randomness.seed=S`` draws its
            own paths.
        route_rank (str): how a node's input edges are ranked at derivation:
            'arch' (edge-normalization weight, softmax of the route's beta:
            DARTS/PC-DARTS), 'score' (the scorer's strength of the edge's
            surviving op) or 'auto' ('arch' when routes have parameters).
        num_inputs (int): input edges each node keeps at derivation (2 in DARTS
            cells; 1 in ABanditNAS's single-input cells). Defaults to 2.
        custom_groups, init_cfg: as ``NasMutator``.
    """

    def __init__(self, scorer: Dict, seed: Optional[int] = None, route_rank: str = 'auto',
                 num_inputs: int = 2, custom_groups: Optional[List[List[str]]] = None,
                 init_cfg=None):
        super().__init__(custom_groups, init_cfg)
        if route_rank not in ('auto', 'arch', 'score'):
            raise ValueError(f"route_rank must be 'auto', 'arch' or 'score', got {route_rank!r}")
        if isinstance(scorer, dict):  # scorers live in mmrazor's registry, whatever the scope
            scorer = MODELS.build(dict(scorer, _scope_=scorer.get('_scope_', 'mmrazor')))
        self.scorer = scorer
        if int(num_inputs) < 1:
            raise ValueError(f'num_inputs must be >= 1, got {num_inputs}')
        if seed is None:
            seed = torch.initial_seed() % 2**31
        self.seed, self.route_rank, self.num_inputs = int(seed), route_rank, int(num_inputs)
        self._arch_params = None

    # --- setup -----------------------------------------------------------------
    def prepare_from_supernet(self, supernet) -> None:
        super().prepare_from_supernet(supernet)
        self.op_groups = [name for name, mutables in self.search_groups.items()
                          if isinstance(mutables[0], ReducibleMutableOP)]
        if not self.op_groups:
            raise SearchSpaceError('SampleReduceMutator: the supernet has no ReducibleMutableOP '
                                   '(set mutable_cfg.type to ReducibleMutableOP)')
        self.route_groups = [name for name, mutables in self.search_groups.items()
                             if isinstance(mutables[0], DiffChoiceRoute)]
        # mmrazor names groups 'module_<n>'; the alias (e.g. 'normal_n2_p0') is what people read
        self.op_aliases = [self.search_groups[g][0].alias or g for g in self.op_groups]
        names = self.search_groups[self.op_groups[0]][0].all_choices
        for group in self.op_groups:
            if self.search_groups[group][0].all_choices != names:
                raise SearchSpaceError(f'SampleReduceMutator: group {group} has candidates '
                                       f'{self.search_groups[group][0].all_choices}, group '
                                       f'{self.op_groups[0]} has {names}; all edges must share '
                                       'one candidate list')
        self.choice_names = list(names)
        num_groups, num_choices = len(self.op_groups), len(names)
        self.scorer.prepare(num_groups, num_choices)
        longest = self.scorer.round_length(num_choices)
        self.register_buffer('plan', torch.zeros(longest, num_groups, dtype=torch.long))
        self.register_buffer('plan_length', torch.zeros((), dtype=torch.long))
        self.register_buffer('plan_position', torch.zeros((), dtype=torch.long))
        self.register_buffer('round_samples', torch.zeros((), dtype=torch.long))
        self.register_buffer('plans_made', torch.zeros((), dtype=torch.long))
        # history[r, g] = the op group g abandoned at reduction r (-1: not yet)
        self.register_buffer('history', torch.full((num_choices - 1, num_groups), -1,
                                                   dtype=torch.long))
        self.register_buffer('history_step', torch.full((num_choices - 1, ), -1,
                                                        dtype=torch.long))

    def add_twin(self, supernet) -> None:
        """Mirror every single path and abandonment on ``supernet`` too: a second
        network built from the same search-space config (same aliases), e.g.
        CP-NAS's full-precision parent beside the 1-bit child."""
        twin: Dict[str, List[ReducibleMutableOP]] = {}
        for module in supernet.modules():
            if isinstance(module, ReducibleMutableOP):
                twin.setdefault(module.alias, []).append(module)
        missing = sorted(set(self.op_aliases) - set(twin))
        extra = sorted(set(twin) - set(self.op_aliases))
        if missing or extra:
            raise SearchSpaceError('the twin supernet has another search space: '
                                   f'missing aliases {missing[:5]}, extra aliases {extra[:5]}')
        for alias, mutables in twin.items():
            if mutables[0].all_choices != self.choice_names:
                raise SearchSpaceError(f'twin edge {alias} has candidates '
                                       f'{mutables[0].all_choices}, not {self.choice_names}')
        self._twins = getattr(self, '_twins', []) + [twin]

    def _mutables(self, g: int) -> List[ReducibleMutableOP]:
        """Group ``g``'s mutables in the supernet and in every twin."""
        found = list(self.search_groups[self.op_groups[g]])
        for twin in getattr(self, '_twins', []):
            found += twin[self.op_aliases[g]]
        return found

    # --- the reduced space ---------------------------------------------------
    def active(self) -> torch.Tensor:
        """(G, K) bool: which op is still in the space, per group."""
        return torch.stack([self.search_groups[g][0].active.cpu() for g in self.op_groups])

    @property
    def num_active(self) -> int:
        return int(self.active()[0].sum())

    @property
    def num_reductions(self) -> int:
        return int((self.history[:, 0] >= 0).sum())

    def is_converged(self) -> bool:
        return self.num_active == 1

    def round_length(self, num_active: Optional[int] = None) -> int:
        return self.scorer.round_length(self.num_active if num_active is None else num_active)

    def arch_probs(self) -> Optional[torch.Tensor]:
        """(G, K) softmax of the groups' alphas over their active ops, or None without alphas."""
        if self._arch_params is None or self.op_groups[0] not in self._arch_params:
            return None
        with torch.no_grad():
            return torch.stack([
                self.search_groups[g][0].compute_arch_probs(self._arch_params[g]).cpu()
                for g in self.op_groups])

    # --- sampling ------------------------------------------------------------
    def _make_plan(self) -> None:
        generator = torch.Generator().manual_seed(self.seed * 1000003 + int(self.plans_made))
        plan = self.scorer.plan(self.active(), self.arch_probs(), generator).to(torch.long)
        if plan.shape[0] > self.plan.shape[0] or plan.shape[1] != len(self.op_groups):
            raise SearchSpaceError(f'scorer planned {tuple(plan.shape)} paths; at most '
                                   f'{tuple(self.plan.shape)} fit')
        length = torch.tensor(plan.shape[0])
        padded = torch.zeros_like(self.plan)
        padded[:plan.shape[0]] = plan
        # rank 0 decides; every rank gets the same plan
        broadcast(padded, src=0)
        broadcast(length, src=0)
        self.plan.copy_(padded)
        self.plan_length.fill_(int(length))
        self.plan_position.zero_()
        self.plans_made += 1

    def next_sample(self) -> Dict[str, str]:
        """The next single path to evaluate, as ``{group alias: op name}``."""
        if self.is_converged():
            raise SearchSpaceError('the search space is reduced to one op per edge; '
                                   'nothing left to sample')
        if int(self.plan_position) >= int(self.plan_length):
            self._make_plan()
        row = self.plan[int(self.plan_position)]
        return {g: self.choice_names[int(i)] for g, i in zip(self.op_groups, row)}

    def set_single_path(self, choices: Optional[Dict[str, str]]) -> None:
        """Run only ``choices`` (group -> op) in every mutable; None: back to the supernet."""
        for g, group in enumerate(self.op_groups):
            for mutable in self._mutables(g):
                mutable.single_path = None if choices is None else choices[group]

    def record(self, reward: float, step: int = -1) -> Optional[Dict[str, str]]:
        """Record the reward of the current sample; at the end of a round abandon the
        worst op of every group and return ``{group: abandoned op}`` (else None)."""
        choice = self.plan[int(self.plan_position)].clone()
        self.scorer.record(choice, float(reward))
        self.plan_position += 1
        self.round_samples += 1
        if int(self.round_samples) < self.round_length():
            return None
        return self.reduce(step)

    def reduce(self, step: int = -1) -> Dict[str, str]:
        """Abandon the scorer's worst active op in every group (in lockstep per alias);
        returns ``{alias: abandoned op}``."""
        worst = self.scorer.abandon(self.active())
        dropped = {}
        reduction = self.num_reductions
        for g, (group, index) in enumerate(zip(self.op_groups, worst.tolist())):
            name = self.choice_names[index]
            for mutable in self._mutables(g):
                mutable.abandon(name)
            dropped[self.op_aliases[g]] = name
            self.history[reduction, g] = index
        self.history_step[reduction] = step
        self.round_samples.zero_()
        self.plan_position.copy_(self.plan_length)  # a new round needs a new plan
        if get_rank() == 0:
            print_log(f'search: reduction {reduction + 1}/{len(self.choice_names) - 1} '
                      f'(step {step}), {self.num_active} ops left per edge', logger='current')
        return dropped

    def reduction_history(self) -> List[Dict]:
        """``[{'reduction': r, 'step': s, 'abandoned': {group: op}}, ...]`` so far."""
        out = []
        for r in range(self.num_reductions):
            out.append(dict(reduction=r, step=int(self.history_step[r]),
                            abandoned={a: self.choice_names[int(i)]
                                       for a, i in zip(self.op_aliases, self.history[r])}))
        return out

    # --- derivation ----------------------------------------------------------
    def derive(self, excluded=('zero', 'none'), num_inputs: Optional[int] = None) -> Dict:
        """One op per edge and the ``num_inputs`` (default: the mutator's) strongest input
        edges per node.

        Each edge keeps its surviving op (if several are active: the largest
        alpha, else the strongest score), never an ``excluded`` one (DARTS's
        rule: 'none' is not a result). A node keeps the input edges with the
        largest route weight ('arch') or op strength ('score').
        """
        num_inputs = self.num_inputs if num_inputs is None else int(num_inputs)
        active, strength = self.active(), self.scorer.strength(self.active())
        probs = self.arch_probs()
        keep = active.clone()
        for name in excluded:
            if name in self.choice_names:
                keep[:, self.choice_names.index(name)] = False
        rank = probs if probs is not None else strength
        choices, edge_strength = {}, {}
        for g, group in enumerate(self.op_groups):
            pool = keep[g] if keep[g].any() else active[g]
            best = int(torch.argmax(rank[g].masked_fill(~pool, float('-inf'))))
            choices[group] = self.choice_names[best]
            edge_strength[self.op_aliases[g]] = (float(strength[g, best]) if keep[g].any()
                                                 else float('-inf'))
        route_rank = self.route_rank
        if route_rank == 'auto':
            route_rank = 'arch' if self._arch_params is not None and self.route_groups and \
                self.route_groups[0] in self._arch_params else 'score'
        for route in self.route_groups:
            mutable = self.search_groups[route][0]
            edges = mutable.choices
            if route_rank == 'arch':
                weight = torch.softmax(self._arch_params[route].detach().cpu(), -1).tolist()
            else:
                weight = [edge_strength.get(e, float('-inf')) for e in edges]
            # an edge whose op is excluded (all-'none') cannot be an input
            usable = [w if edge_strength.get(e, 0.0) != float('-inf') else float('-inf')
                      for e, w in zip(edges, weight)]
            order = sorted(range(len(edges)), key=lambda i: usable[i], reverse=True)
            choices[route] = [edges[i] for i in order[:num_inputs]]
        return choices

    def check_twins(self) -> None:
        """Every twin supernet holds the same reduced space as the supernet."""
        for g, alias in enumerate(self.op_aliases):
            active = self.search_groups[self.op_groups[g]][0].active
            for mutable in self._mutables(g):
                if not torch.equal(mutable.active.cpu(), active.cpu()):
                    raise SearchSpaceError(f'{alias}: a twin supernet left the search space '
                                           'of the supernet')

    def export(self, model) -> Dict:
        """mmrazor ``fix_subnet`` (``{alias: {'chosen': ...}}``) of :meth:`derive`."""
        from mmrazor.structures.subnet.fix_subnet import convert_fix_subnet, export_fix_subnet
        self.check_twins()
        choices = self.derive()
        self.set_choices({**self.current_choices, **choices})
        fix_subnet, _ = export_fix_subnet(model)
        return convert_fix_subnet(fix_subnet)
