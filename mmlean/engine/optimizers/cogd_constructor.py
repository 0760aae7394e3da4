"""Optim-wrapper constructor that pairs parameters for :class:`CoGD` by name."""
import re
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

PAIR_KEYS = ('x', 'A')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CoGDOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Builds a :class:`~mmlean.engine.optimizers.CoGD` optimizer whose coupled
    pairs (Zhuo et al., CVPR 2020, §3: the sparse factor x and the factor A it
    multiplies) are found by parameter-name patterns.

    ``paramwise_cfg.cogd_pairs`` is a list of dicts::

        dict(x=r'^(.*)\\.soft_mask$',            # regex on parameter names
             A=[r'\\1.weight', r'\\1.bias'],      # match.expand() templates
             couple_dim=0, x_dim=0,             # optional
             l1=1e-4, nonneg=True, ...)         # optional CoGD group options

    Every parameter whose name fully matches ``x`` becomes the sparse factor of
    one pair group ``[A_1, ..., A_k, x]``; each ``A`` template, expanded with
    that match, must name an existing parameter (else a ValueError names it),
    and no parameter may belong to two pairs. The other keys of a pair dict
    are stored in its param group (any :class:`CoGD` option). The remaining
    parameters are handled as by mmengine's default constructor (the rest of
    ``paramwise_cfg`` applies to them). The optimizer type must be CoGD or a
    subclass (a plain SGD cannot take the pairs).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        self.cogd_pairs = list(paramwise_cfg.pop('cogd_pairs', []))
        for i, pair in enumerate(self.cogd_pairs):
            missing = [k for k in PAIR_KEYS if k not in pair]
            if missing:
                raise ValueError(f'cogd_pairs[{i}] needs keys {PAIR_KEYS}, missing {missing}')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def match_pairs(self, model: nn.Module) -> List[Dict]:
        """The pair groups of ``model``: ``{'params', 'names', options...}``."""
        params = dict(model.named_parameters())
        used: Dict[str, str] = {}
        groups = []
        for i, pair in enumerate(self.cogd_pairs):
            pattern = re.compile(pair['x'])
            templates = pair['A'] if isinstance(pair['A'], (list, tuple)) else [pair['A']]
            options = {k: v for k, v in pair.items() if k not in PAIR_KEYS}
            found = 0
            for name in params:
                match = pattern.fullmatch(name)
                if match is None:
                    continue
                found += 1
                a_names = [match.expand(t) for t in templates]
                for a in a_names:
                    if a not in params:
                        raise ValueError(f'cogd_pairs[{i}]: {name!r} pairs with {a!r}, '
                                         'which is not a parameter of the model')
                for n in a_names + [name]:
                    if n in used:
                        raise ValueError(f'cogd_pairs[{i}]: {n!r} is already in the pair of '
                                         f'{used[n]!r}')
                    used[n] = name
                groups.append(dict(params=[params[a] for a in a_names] + [params[name]],
                                   names=a_names + [name], cogd_pair=True, **options))
            if not found:
                raise ValueError(f'cogd_pairs[{i}]: no parameter name matches {pair["x"]!r}')
        return groups

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        optimizer_cfg = self.optimizer_cfg.copy()
        with OPTIMIZERS.switch_scope_and_registry(None) as registry:
            optimizer_cls = registry.get(optimizer_cfg['type']) if isinstance(
                optimizer_cfg['type'], str) else optimizer_cfg['type']
        from .cogd import CoGD
        if self.cogd_pairs and not (isinstance(optimizer_cls, type)
                                    and issubclass(optimizer_cls, CoGD)):
            raise ValueError(f'cogd_pairs need the CoGD optimizer, got {optimizer_cfg["type"]!r}')
        pairs = self.match_pairs(model)
        paired = {id(p) for g in pairs for p in g['params']}
        for g in pairs:
            g.pop('names')
        if self.paramwise_cfg:
            rest: List = []
            self.add_params(rest, model)
            rest = [g for g in rest if id(g['params'][0]) not in paired]
        else:
            rest = [dict(params=[p for p in model.parameters()
                                 if p.requires_grad and id(p) not in paired])]
            rest = [g for g in rest if g['params']]
        optimizer_cfg['params'] = rest + pairs
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(optim_wrapper_cfg, default_args=dict(optimizer=optimizer))
