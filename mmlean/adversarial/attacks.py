"""L-infinity attacks used *during training* (fast, batched, on inputs in [0, 1]).

Evaluation uses ``torchattacks`` (:mod:`mmlean.adversarial.evaluation`); these
training attacks produce the same adversarial examples as torchattacks' ``FFGSM``
and ``PGD`` from the same random start (tested), and take the logits function
directly so a training step can run them on the bare model (no DDP hooks).

* :func:`fgsm_random_start` -- FGSM with a uniform random start ("fast"
  adversarial training, Wong et al., ICLR 2020, arXiv 2001.03994, Alg. 3), the
  search-time attack of ABanditNAS (Chen et al., ECCV 2020, arXiv 2008.00698;
  the same group's book chapter, Algorithm 8, lines 9-14);
* :func:`pgd` -- projected gradient descent with a random start (Madry et al.,
  ICLR 2018, arXiv 1706.06083, Eq. 2), ABanditNAS's final-training attack (PGD-7).
"""
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F

ATTACK_TYPES = ('fgsm_rs', 'pgd')


def _project(adv: torch.Tensor, clean: torch.Tensor, eps: float) -> torch.Tensor:
    """Back into the eps-ball around ``clean`` and into [0, 1]."""
    return torch.clamp(clean + torch.clamp(adv - clean, -eps, eps), 0.0, 1.0)


def _input_grad(logits_fn: Callable, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(logits_fn(x), labels)
        return torch.autograd.grad(loss, x)[0]


def random_start(x: torch.Tensor, eps: float) -> torch.Tensor:
    """``clip(x + U(-eps, eps), 0, 1)`` drawn from torch's global generator."""
    return torch.clamp(x + torch.empty_like(x).uniform_(-eps, eps), 0.0, 1.0)


def fgsm_random_start(logits_fn: Callable, x: torch.Tensor, labels: torch.Tensor, eps: float,
                      alpha: float, start: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``delta ~ U(-eps, eps)``; ``x' = P(x + delta + alpha sign(grad_x CE))`` (one step).

    ``start`` (optional) is the already perturbed starting point (a test passes
    torchattacks' draw).
    """
    x = x.detach()
    adv = random_start(x, eps) if start is None else start.detach()
    adv = adv + alpha * _input_grad(logits_fn, adv, labels).sign()
    return _project(adv, x, eps).detach()


def pgd(logits_fn: Callable, x: torch.Tensor, labels: torch.Tensor, eps: float, alpha: float,
        steps: int, rand_init: bool = True, start: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``steps`` projected sign-gradient steps of size ``alpha`` in the eps-ball (random start)."""
    x = x.detach()
    if start is not None:
        adv = start.detach()
    else:
        adv = random_start(x, eps) if rand_init else x.clone()
    for _ in range(int(steps)):
        adv = _project(adv + alpha * _input_grad(logits_fn, adv, labels).sign(), x, eps).detach()
    return adv


def check_attack_cfg(cfg: Dict, where: str) -> Dict:
    """Validate an attack config ``dict(type='fgsm_rs'|'pgd', eps=, alpha=[, steps=])``."""
    if not isinstance(cfg, dict) or cfg.get('type') not in ATTACK_TYPES:
        raise ValueError(f'{where}: attack must be a dict with type in {ATTACK_TYPES}, '
                         f'got {cfg!r}')
    cfg = dict(cfg)
    for key in ('eps', 'alpha'):
        if key not in cfg or not float(cfg[key]) > 0:
            raise ValueError(f'{where}: attack {cfg["type"]} needs {key} > 0, got {cfg.get(key)!r}')
    if cfg['type'] == 'pgd' and int(cfg.get('steps', 0)) < 1:
        raise ValueError(f'{where}: attack pgd needs steps >= 1, got {cfg.get("steps")!r}')
    unknown = set(cfg) - {'type', 'eps', 'alpha', 'steps', 'rand_init'}
    if unknown:
        raise ValueError(f'{where}: unknown attack keys {sorted(unknown)}')
    return cfg


def run_attack(cfg: Dict, logits_fn: Callable, x: torch.Tensor,
               labels: torch.Tensor) -> torch.Tensor:
    """The adversarial examples of the (checked) attack config ``cfg``."""
    if cfg['type'] == 'fgsm_rs':
        return fgsm_random_start(logits_fn, x, labels, float(cfg['eps']), float(cfg['alpha']))
    return pgd(logits_fn, x, labels, float(cfg['eps']), float(cfg['alpha']), int(cfg['steps']),
               bool(cfg.get('rand_init', True)))
