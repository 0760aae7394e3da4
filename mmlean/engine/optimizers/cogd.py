"""CoGD: cogradient descent for bilinear problems with one sparse factor.

Zhuo et al., "Cogradient Descent for Bilinear Optimization", CVPR 2020
(arXiv 2006.09142). The model is ``min_{A,x} G(A, x) = f(A x) + lambda ||x||_1
+ R(A)`` (the paper's Eq. 1). Plain (alternating) descent treats A and x as
independent: once the sparsity term zeroes an entry x_j, every entry of A
coupled to it (column j of A, a filter, the channel of a mask) gets zero
gradient and stops learning -- the paper's *asynchronous convergence*. CoGD
adds a coupling (projection) term to A's update, only where that condition
holds, with a strength that decays to plain descent.

The paper's form and the official code's two rules are implemented, selected
by ``rule`` (official code: github.com/bczhangbczhang/CoGD, ``CoGD-master.zip``,
``Anonymous_CVPR5767-master/``, MATLAB, sparse coding only):

* ``'paper'`` -- the paper's form (§3, the total derivative
  ``dG/dA = dG/dA + (dP/dA)^T dG/dx`` of the projection ``x = P(A)``, with
  ``dP/dA`` approximated by a clipped finite-difference ratio of the changes
  of x and A). The exact CVPR equations could not be verified here; the
  choices this code makes are options, documented in
  ``projects/cogd/README.md``: the coupling is moved onto A along A's own
  coupled slice (the rescaling symmetry ``(A_:j c, x_j / c)`` of the product,
  as the official code's ``backtracking_btb.m`` scales ``d_old``), signed so
  that a blocked x_j which the data pushes away from zero grows its slice of A.
* ``'backtrack'`` -- the official MATLAB code's reconstruction rule
  (``backtracking_d.m``): on the top ``alpha_t`` fraction of positions by
  their summed code, pull the new value back towards the old one,
  ``A = (1 - mix) A_new + mix A_old`` (mix 0.99).
* ``'rescale'`` -- the official code's inpainting rule (``backtracking_btb.m``):
  ``A += step * c * p * A_old`` on the top ``alpha_t`` positions,
  ``p = min(||x - x_old|| / (|A - A_old| + 1e-5), 1)``, ``c = beta *
  (sum of the residual)`` (the residual sum is passed to :meth:`CoGD.step`).
* ``'none'`` -- plain (proximal) descent, the baseline.

The decay is linear, ``f_t = (T - t) / T`` (the code's ``alpha_t = (T - t) /
(2T)`` for ``alpha = 0.5``), or ``'none'`` to let an mmengine parameter
scheduler drive the group keys ``beta`` / ``alpha`` instead.
"""
from typing import Dict, Iterable, Optional, Tuple

import torch
from mmengine.registry import OPTIMIZERS
from torch.optim import Optimizer

RULES = ('paper', 'backtrack', 'rescale', 'none')
SELECTS = ('zero', 'top')
DECAYS = ('linear', 'none')


def decay_factor(step: int, total_steps: Optional[int], decay: str = 'linear') -> float:
    """``(T - t) / T`` clipped at 0 (linear) or 1 (none, or T unknown)."""
    if decay not in DECAYS:
        raise ValueError(f'decay must be one of {DECAYS}, got {decay!r}')
    if decay == 'none' or not total_steps:
        return 1.0
    return max(0.0, (total_steps - step) / total_steps)


def select_positions(x: torch.Tensor, select: str, alpha: float = 0.0,
                     zero_tol: float = 0.0, score: str = 'sum') -> torch.Tensor:
    """Where the asynchronous condition holds, per coupled position.

    Args:
        x (Tensor): (N, S) sparse factor after its step, one row per coupled
            position (a column of A, a filter, a channel).
        select (str): ``'zero'``: every entry of the row is zero (the
            paper's motivation: x_j was zeroed, its slice of A gets no
            gradient); ``'top'``: the ``int(alpha * N)`` rows with the largest
            score, largest first (the official code's rule, which ranks by
            the summed code).
        score (str): ``'sum'`` (signed sum over S, as the code) or ``'abs'``.

    Returns:
        BoolTensor (N,).
    """
    if select == 'zero':
        return (x.abs() <= zero_tol).all(dim=1)
    if select != 'top':
        raise ValueError(f'select must be one of {SELECTS}, got {select!r}')
    n = x.shape[0]
    k = int(alpha * n)
    mask = torch.zeros(n, dtype=torch.bool, device=x.device)
    if k <= 0:
        return mask
    s = x.sum(1) if score == 'sum' else x.abs().sum(1)
    # stable order: by score, ties by index
    order = torch.sort(s, descending=True, stable=True).indices[:k]
    mask[order] = True
    return mask


def finite_difference(dx: torch.Tensor, dA: torch.Tensor, eps: float,
                      clip: float) -> torch.Tensor:
    """``min(||dx_j||_2 / (|dA_ij| + eps), clip)`` -- the code's ``p``.

    Args:
        dx (Tensor): (N, S) change of x; the norm is over S.
        dA (Tensor): (N, R) change of A.
    """
    norm = dx.norm(dim=1, keepdim=True)
    return torch.clamp(norm / (dA.abs() + eps), max=clip)


def paper_correction(A_old: torch.Tensor, dA: torch.Tensor, x_old: torch.Tensor,
                     dx: torch.Tensor, grad_x: torch.Tensor, lr: float, beta: float,
                     eps: float, clip: float) -> torch.Tensor:
    """The coupling term added to A (rule ``'paper'``), all rows (N, R).

    ``-lr * beta * J_ij * push_j * A_old_ij`` with ``J`` the clipped finite
    difference (:func:`finite_difference`) and ``push_j = sum_s grad_x_js *
    sigma_js``, ``sigma = sign(x_old)`` where x_old is nonzero and
    ``-sign(grad_x)`` (where x would move) where it is zero. A zeroed x_j that
    the data pushes away from zero (push < 0) grows its slice of A, which
    raises ``|dG/dx_j|`` until x_j passes its threshold again; an active x_j
    that the loss wants smaller shrinks it.
    """
    sigma = torch.where(x_old != 0, torch.sign(x_old), -torch.sign(grad_x))
    push = (grad_x * sigma).sum(1, keepdim=True)
    J = finite_difference(dx, dA, eps, clip)
    return -lr * beta * J * push * A_old


def backtrack_correction(A_new: torch.Tensor, A_old: torch.Tensor, mix: float) -> torch.Tensor:
    """``backtracking_d.m``: the new value ``(1 - mix) A_new + mix A_old``."""
    return (1.0 - mix) * A_new + mix * A_old


def rescale_correction(A_old: torch.Tensor, dA: torch.Tensor, dx: torch.Tensor, c: float,
                       step: float, eps: float, clip: float) -> torch.Tensor:
    """``backtracking_btb.m``: the term ``step * c * p * A_old`` added to A."""
    return step * c * finite_difference(dx, dA, eps, clip) * A_old


def apply_correction(rule: str, sel: torch.Tensor, A_new: torch.Tensor, A_old: torch.Tensor,
                     x_new: torch.Tensor, x_old: torch.Tensor, x_coupled: torch.Tensor,
                     grad_x: Optional[torch.Tensor], *, lr: float = 0.0, beta: float = 0.0,
                     mix: float = 0.99, step: float = 0.1, residual_sum: Optional[float] = None,
                     eps: float = 1e-5, clip: float = 1.0) -> torch.Tensor:
    """A after the CoGD correction on the selected rows (a new tensor).

    Shapes: A (N, R), x (N, S), ``sel`` (N,). ``x_coupled`` is the x whose
    change measures the coupling (the proposal before the proximal step, or
    the new iterate). Shared by :class:`CoGD` and the CSC solver.
    """
    if rule == 'none' or not bool(sel.any()):
        return A_new.clone()
    dA = A_new - A_old
    dx = x_coupled - x_old
    if rule == 'paper':
        if grad_x is None:
            raise ValueError("rule 'paper' needs the gradient of x")
        new = A_new + paper_correction(A_old, dA, x_old, dx, grad_x, lr, beta, eps, clip)
    elif rule == 'backtrack':
        new = backtrack_correction(A_new, A_old, mix)
    elif rule == 'rescale':
        if residual_sum is None:
            raise ValueError("rule 'rescale' needs residual_sum (the official code's sum of "
                             'the masked residual): pass it to step()')
        new = A_new + rescale_correction(A_old, dA, dx, beta * float(residual_sum), step, eps,
                                         clip)
    else:
        raise ValueError(f'rule must be one of {RULES}, got {rule!r}')
    return torch.where(sel[:, None], new, A_new)


def _rows(t: torch.Tensor, dim: int) -> torch.Tensor:
    """View ``t`` as (N, rest) with its ``dim`` first (a copy if needed)."""
    if t.dim() == 0:
        raise ValueError('CoGD pairs need tensors with at least one dimension')
    return t.movedim(dim, 0).reshape(t.shape[dim], -1)


def _unrows(rows: torch.Tensor, like: torch.Tensor, dim: int) -> torch.Tensor:
    shape = (like.shape[dim], ) + tuple(s for i, s in enumerate(like.shape) if i != dim)
    return rows.reshape(shape).movedim(0, dim)


@OPTIMIZERS.register_module()
class CoGD(Optimizer):
    """Cogradient descent (Zhuo et al., CVPR 2020, arXiv 2006.09142, §3).

    SGD (momentum, weight decay, Nesterov as :class:`torch.optim.SGD`) on
    every parameter; on each *coupled pair* (param groups with
    ``cogd_pair=True``, whose params are ``[A_1, ..., A_k, x]``: x last, the
    sparse factor; every A coupled to x along ``couple_dim``, x along
    ``x_dim``), x takes a proximal step for ``l1 * ||x||_1`` (soft-threshold;
    ``nonneg`` also projects onto x >= 0), then A is corrected where the
    asynchronous condition holds (see the module docstring for the rules).
    :class:`~mmlean.engine.optimizers.CoGDOptimWrapperConstructor` builds the
    pairs from parameter-name patterns.

    Args:
        params: parameters or param groups.
        lr (float): learning rate.
        momentum, dampening, weight_decay, nesterov: as SGD. ``weight_decay``
            is R(A) (l2) on A and on plain parameters; x has
            ``x_weight_decay`` (default 0) and ``l1``.
        rule (str): 'paper' | 'backtrack' | 'rescale' | 'none'.
        select (str): asynchronous condition, 'zero' (x_j zeroed) or 'top'
            (top ``alpha_t`` fraction by summed x, the official code's).
        beta (float): coupling strength (the paper's rule, and the code's
            ``beta_k = 0.05`` of 'rescale').
        alpha (float): fraction selected by 'top' at t = 0 (the code: 1/2 for
            reconstruction, 1/3 for inpainting).
        decay (str): 'linear' (``f_t = (T - t) / T`` on alpha, and on beta for
            'paper') or 'none' (constant; use an mmengine
            ``LinearParamScheduler(param_name='beta')`` instead).
        total_steps (int, optional): T for the linear decay; without it the
            strength does not decay.
        coupling (str): which change of x enters the finite difference:
            'proposal' (x after its gradient step, before the proximal step:
            the move the sparsity term blocks) or 'iterate' (after it).
        mix (float): 'backtrack' weight of the old value. Defaults to 0.99.
        rescale_step (float): 'rescale' step. Defaults to 0.1.
        clip (float): clip of the finite-difference ratio. Defaults to 1.
        eps (float): its denominator's offset. Defaults to 1e-5.
        zero_tol (float): |x| at or below this counts as zero. Defaults to 0.
        score (str): 'top' ranking, 'sum' (signed, as the code) or 'abs'.
        l1 (float): lambda of the proximal l1 step on x.
        nonneg (bool): keep x >= 0 (soft masks).
        x_weight_decay (float): l2 on x.
        x_lr_mult (float): x's learning rate (and so its proximal threshold
            ``lr * x_lr_mult * l1``) relative to ``lr``. Defaults to 1.
        couple_dim, x_dim (int): coupled dims of A and x.
    """

    def __init__(self, params: Iterable, lr: float = 0.01, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 rule: str = 'paper', select: str = 'zero', beta: float = 1.0,
                 alpha: float = 0.5, decay: str = 'linear', total_steps: Optional[int] = None,
                 coupling: str = 'proposal', mix: float = 0.99, rescale_step: float = 0.1,
                 clip: float = 1.0, eps: float = 1e-5, zero_tol: float = 0.0,
                 score: str = 'sum', l1: float = 0.0, nonneg: bool = False,
                 x_weight_decay: float = 0.0, x_lr_mult: float = 1.0, couple_dim: int = 0,
                 x_dim: int = 0):
        if lr < 0:
            raise ValueError(f'invalid learning rate {lr}')
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, rule=rule,
                        select=select, beta=beta, alpha=alpha, decay=decay,
                        total_steps=total_steps, coupling=coupling, mix=mix,
                        rescale_step=rescale_step, clip=clip, eps=eps, zero_tol=zero_tol,
                        score=score, l1=l1, nonneg=nonneg, x_weight_decay=x_weight_decay,
                        x_lr_mult=x_lr_mult,
                        couple_dim=couple_dim, x_dim=x_dim, cogd_pair=False)
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group: Dict) -> None:
        for key, allowed in (('rule', RULES), ('select', SELECTS), ('decay', DECAYS),
                             ('coupling', ('proposal', 'iterate')), ('score', ('sum', 'abs'))):
            if group[key] not in allowed:
                raise ValueError(f'CoGD {key} must be one of {allowed}, got {group[key]!r}')
        if not group['cogd_pair']:
            return
        params = group['params']
        if len(params) < 2:
            raise ValueError('a CoGD pair group holds [A_1, ..., A_k, x]: at least 2 params, '
                             f'got {len(params)}')
        x = params[-1]
        n = x.shape[group['x_dim']]
        for A in params[:-1]:
            if A.shape[group['couple_dim']] != n:
                raise ValueError(f'CoGD pair: A of shape {tuple(A.shape)} has '
                                 f'{A.shape[group["couple_dim"]]} entries along couple_dim '
                                 f'{group["couple_dim"]}, x of shape {tuple(x.shape)} has {n} '
                                 f'along x_dim {group["x_dim"]}')

    def add_param_group(self, param_group: Dict) -> None:
        super().add_param_group(param_group)
        self._check_group(self.param_groups[-1])

    # -- the plain step -----------------------------------------------------
    def _sgd(self, p: torch.Tensor, group: Dict, weight_decay: float) -> torch.Tensor:
        """The SGD direction of ``p`` (momentum buffer updated in state)."""
        d_p = p.grad
        if weight_decay:
            d_p = d_p.add(p, alpha=weight_decay)
        momentum = group['momentum']
        if momentum:
            state = self.state[p]
            buf = state.get('momentum_buffer')
            if buf is None:
                buf = state['momentum_buffer'] = torch.clone(d_p).detach()
            else:
                buf.mul_(momentum).add_(d_p, alpha=1 - group['dampening'])
            d_p = d_p.add(buf, alpha=momentum) if group['nesterov'] else buf
        return d_p

    @staticmethod
    def _prox(x: torch.Tensor, thr: float, nonneg: bool) -> torch.Tensor:
        if nonneg:
            return torch.clamp(x - thr, min=0.0)
        if thr <= 0:
            return x
        return torch.sign(x) * torch.clamp(x.abs() - thr, min=0.0)

    @torch.no_grad()
    def step(self, closure=None, residual_sum: Optional[float] = None):
        """One step. ``residual_sum``: the scalar rule 'rescale' needs."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if group['cogd_pair']:
                self._pair_step(group, residual_sum)
                continue
            for p in group['params']:
                if p.grad is None:
                    continue
                p.add_(self._sgd(p, group, group['weight_decay']), alpha=-group['lr'])
        return loss

    def _pair_step(self, group: Dict, residual_sum: Optional[float]) -> None:
        *As, x = group['params']
        lr = group['lr']
        lr_x = lr * group['x_lr_mult']
        state = self.state[x]
        t = int(state['step']) if 'step' in state else 0
        f = decay_factor(t, group['total_steps'], group['decay'])
        alpha_t = group['alpha'] * f
        beta_t = group['beta'] * f if group['rule'] == 'paper' else group['beta']
        rule, xd, cd = group['rule'], group['x_dim'], group['couple_dim']
        corrective = rule != 'none' and not (rule == 'paper' and beta_t == 0) and not (
            rule != 'paper' and group['select'] == 'top' and alpha_t == 0)
        # x: gradient step, then the proximal l1 step
        if corrective:
            x_old = x.detach().clone()
            grad_x = x.grad.detach().clone() if x.grad is not None else torch.zeros_like(x)
        if x.grad is not None:
            x.add_(self._sgd(x, group, group['x_weight_decay']), alpha=-lr_x)
        x_prop = x.detach().clone() if corrective and group['coupling'] == 'proposal' else None
        x.copy_(self._prox(x, lr_x * group['l1'], group['nonneg']))
        # the rows where the asynchronous condition holds (they depend on x only)
        idx = None
        if corrective:
            xr = _rows(x.detach(), xd)
            sel = select_positions(xr, group['select'], alpha_t, group['zero_tol'], group['score'])
            idx = sel.nonzero().flatten()
            corrective = idx.numel() > 0
        # A: plain step (keeping the old values of the selected rows), then the correction
        A_olds = []
        for A in As:
            if corrective:
                A_olds.append(_rows(A.detach(), cd).index_select(0, idx))
            if A.grad is not None:
                A.add_(self._sgd(A, group, group['weight_decay']), alpha=-lr)
        if corrective:
            x_coupled = x_prop if x_prop is not None else x.detach()

            def sub(v):
                return _rows(v, xd).index_select(0, idx)

            x_new_s, x_old_s, xc_s, gx_s = sub(x.detach()), sub(x_old), sub(x_coupled), sub(grad_x)
            every = torch.ones(idx.numel(), dtype=torch.bool, device=idx.device)
            for A, A_old_s in zip(As, A_olds):
                rows = _rows(A.detach(), cd)
                new = apply_correction(
                    rule, every, rows.index_select(0, idx), A_old_s, x_new_s, x_old_s, xc_s,
                    gx_s, lr=lr, beta=beta_t, mix=group['mix'], step=group['rescale_step'],
                    residual_sum=residual_sum, eps=group['eps'], clip=group['clip'])
                if cd == 0 and A.is_contiguous():
                    A.detach().view(A.shape[0], -1).index_copy_(0, idx, new)
                else:
                    A.copy_(_unrows(rows.index_copy(0, idx, new), A, cd))
        state['step'] = torch.tensor(float(t + 1))
        state['selected'] = torch.tensor(float(idx.numel()) if corrective else 0.0)

    # -- introspection --------------------------------------------------------
    def strength(self, group: Dict) -> Tuple[float, float]:
        """(alpha_t, beta_t) the next step of ``group`` uses."""
        state = self.state[group['params'][-1]] if group['params'] else {}
        t = int(state['step']) if 'step' in state else 0
        f = decay_factor(t, group['total_steps'], group['decay'])
        beta = group['beta'] * f if group['rule'] == 'paper' else group['beta']
        return group['alpha'] * f, beta

    def selected(self) -> int:
        """Positions corrected in the last step, over all pairs."""
        total = 0
        for group in self.param_groups:
            if group['cogd_pair'] and group['params']:
                s = self.state[group['params'][-1]].get('selected')
                total += int(s) if s is not None else 0
        return total
