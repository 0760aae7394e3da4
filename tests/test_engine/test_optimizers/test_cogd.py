"""CoGD optimizer: formulas by hand, the asynchronous-convergence check, resume."""
import io

import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import OPTIMIZERS

from mmlean.engine.optimizers import CoGD, apply_correction, decay_factor, select_positions


def test_registered():
    assert OPTIMIZERS.get('CoGD') is CoGD


def test_decay_by_hand():
    # the official reconstruction code's alpha_t = (T - t) / (2T), T = 20
    assert [0.5 * decay_factor(t, 20) for t in (1, 10, 20)] == [19 / 40, 10 / 40, 0.0]
    assert decay_factor(25, 20) == 0.0
    assert decay_factor(3, 20, 'none') == 1.0
    assert decay_factor(3, None) == 1.0
    with pytest.raises(ValueError):
        decay_factor(0, 10, 'cosine')


def test_select_by_hand():
    x = torch.tensor([[0., 0.], [1., 2.], [0., 0.], [-5., 1.], [3., 3.]])
    assert select_positions(x, 'zero').tolist() == [True, False, True, False, False]
    # top 2 of 5 by signed sum (4: 6, 1: 3), as the official code ranks
    assert select_positions(x, 'top', alpha=0.4).tolist() == [False, True, False, False, True]
    # by absolute sum: 3 (6) ties with 4 (6): the lower index first
    assert select_positions(x, 'top', alpha=0.2, score='abs').tolist() == [
        False, False, False, True, False]
    assert not select_positions(x, 'top', alpha=0.1).any()  # int(0.5) = 0 rows


def _loops(rule, sel, A_new, A_old, x_old, x_c, g, lr, beta, mix, step, rsum, eps, clip):
    """The corrections entry by entry, with Python floats."""
    N, R = A_new.shape
    S = x_old.shape[1]
    out = A_new.clone()
    for i in range(N):
        if not sel[i]:
            continue
        dxn = sum((float(x_c[i, s]) - float(x_old[i, s]))**2 for s in range(S))**0.5
        for r in range(R):
            a, a0 = float(A_new[i, r]), float(A_old[i, r])
            p = min(dxn / (abs(a - a0) + eps), clip)
            if rule == 'backtrack':
                v = (1 - mix) * a + mix * a0
            elif rule == 'rescale':
                v = a + step * (beta * rsum) * p * a0
            else:  # paper: -lr beta J push A_old, push = sum_s g sigma
                push = 0.0
                for s in range(S):
                    xo, gs = float(x_old[i, s]), float(g[i, s])
                    sig = (1.0 if xo > 0 else -1.0) if xo != 0 else (
                        -1.0 if gs > 0 else (1.0 if gs < 0 else 0.0))
                    push += gs * sig
                v = a - lr * beta * p * push * a0
            out[i, r] = v
    return out


@pytest.mark.parametrize('rule', ['paper', 'backtrack', 'rescale'])
def test_corrections_by_hand(rule):
    g = torch.Generator().manual_seed(3)
    N, R, S = 5, 3, 4
    A_old = torch.randn(N, R, generator=g, dtype=torch.float64)
    A_new = A_old + 0.1 * torch.randn(N, R, generator=g, dtype=torch.float64)
    A_new[1] = A_old[1]  # a stalled row: the ratio hits the clip
    x_old = torch.randn(N, S, generator=g, dtype=torch.float64)
    x_old[0] = 0
    x_c = x_old + 0.05 * torch.randn(N, S, generator=g, dtype=torch.float64)
    grad = torch.randn(N, S, generator=g, dtype=torch.float64)
    sel = torch.tensor([True, True, False, True, False])
    kw = dict(lr=0.3, beta=0.7, mix=0.99, step=0.1, residual_sum=-2.5, eps=1e-5, clip=1.0)
    got = apply_correction(rule, sel, A_new, A_old, x_c, x_old, x_c, grad, **kw)
    want = _loops(rule, sel, A_new, A_old, x_old, x_c, grad, 0.3, 0.7, 0.99, 0.1, -2.5, 1e-5,
                  1.0)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    assert torch.equal(got[~sel], A_new[~sel])
    none = apply_correction('none', sel, A_new, A_old, x_c, x_old, x_c, grad, **kw)
    assert torch.equal(none, A_new)


def test_plain_step_is_sgd():
    """Outside pairs, and with rule 'none' and l1 = 0, CoGD is torch's SGD."""
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    ref = nn.Linear(4, 3)
    ref.load_state_dict(net.state_dict())
    kw = dict(lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True)
    opt = CoGD([dict(params=[net.weight, net.bias], cogd_pair=True, rule='none',
                     x_weight_decay=1e-3)], **kw)
    sgd = torch.optim.SGD(ref.parameters(), **kw)
    x = torch.randn(8, 4)
    for _ in range(5):
        for o, m in ((opt, net), (sgd, ref)):
            o.zero_grad()
            m(x).pow(2).sum().backward()
            o.step()
    torch.testing.assert_close(net.weight, ref.weight, rtol=0, atol=1e-6)
    torch.testing.assert_close(net.bias, ref.bias, rtol=0, atol=1e-6)


def test_prox_step_by_hand():
    x = torch.tensor([0.5, -0.05, 0.02, -2.0], requires_grad=True)
    A = torch.ones(4, 2, requires_grad=True)
    opt = CoGD([dict(params=[A, x], cogd_pair=True)], lr=0.1, l1=0.5, rule='none')
    x.grad = torch.tensor([1.0, 0.0, 0.0, -1.0])
    A.grad = torch.zeros(4, 2)
    opt.step()
    # x - 0.1 g = [0.4, -0.05, 0.02, -1.9], soft-threshold at 0.05
    torch.testing.assert_close(x.detach(), torch.tensor([0.35, 0.0, 0.0, -1.85]))


def _bilinear(rule, steps, lam=0.05, beta=10.0, lr=0.1, momentum=0.0):
    """min_A,X 1/(2K) ||B - A X||^2 + lam ||X||_1; A's atom 3 starts weak, so
    the l1 step zeroes its codes at once and plain descent never moves it."""
    M, N, K = 8, 4, 64
    g = torch.Generator().manual_seed(0)
    A_true = torch.linalg.qr(torch.randn(M, N, generator=g))[0]
    X_true = torch.randn(N, K, generator=g) * (torch.rand(N, K, generator=g) < 0.5)
    B = A_true @ X_true
    g = torch.Generator().manual_seed(1)
    A = torch.randn(M, N, generator=g) * 0.5
    A[:, 3] *= 0.02
    A.requires_grad_()
    X = torch.zeros(N, K, requires_grad=True)
    opt = CoGD([dict(params=[A, X], cogd_pair=True)], lr=lr, momentum=momentum, rule=rule,
               beta=beta, l1=lam, couple_dim=1, x_dim=0, total_steps=steps)
    A0 = A.detach().clone()
    selected = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((A @ X - B)**2).sum() / K).backward()
        opt.step()
        selected.append(opt.selected())
    obj = 0.5 * ((A @ X - B)**2).sum() / K + lam * X.abs().sum()
    return dict(moved=(A.detach()[:, 3] - A0[:, 3]).abs().max().item(),
                used=int((X.detach()[3] != 0).sum()), obj=obj.item(), selected=selected)


@pytest.mark.slow
def test_bilinear_asynchronous_convergence():
    plain = _bilinear('none', 1000)
    cogd = _bilinear('paper', 1000)
    # plain descent: the weak atom's codes are zero, its gradient is exactly zero
    assert plain['moved'] == 0.0 and plain['used'] == 0
    # CoGD detects the condition (the atom selected from the first step) ...
    assert cogd['selected'][0] >= 1
    # ... moves the atom until its codes pass the threshold again, and ends lower
    assert cogd['moved'] > 0.5 and cogd['used'] > 0
    assert cogd['obj'] < plain['obj'] - 0.03
    # the linear decay switches the correction off by the end
    assert cogd['selected'][-1] == 0


def _train(make, steps, step_kwargs, state=None):
    """A conv with a soft output mask trained ``steps`` steps; with ``state``,
    resumed from the checkpoint written at half time."""
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 6, 3)
    mask = nn.Parameter(torch.rand(6))
    opt = make([conv.weight, conv.bias, mask])
    data = torch.randn(steps, 4, 2, 6, 6, generator=torch.Generator().manual_seed(1))
    start, half = 0, None
    if state is not None:
        conv.load_state_dict(state['model'])
        mask.data.copy_(state['mask'])
        opt.load_state_dict(state['opt'])
        start = state['t']
    for t in range(start, steps):
        opt.zero_grad()
        y = conv(data[t]) * mask[:, None, None]
        ((y - 0.3)**2).mean().backward()
        opt.step(**step_kwargs)
        if t + 1 == steps // 2 and state is None:
            buf = io.BytesIO()
            torch.save(dict(model=conv.state_dict(), mask=mask.detach().clone(),
                            opt=opt.state_dict(), t=t + 1), buf)
            half = buf.getvalue()
    return torch.cat([conv.weight.detach().flatten(), mask.detach()]), half, opt


@pytest.mark.parametrize('rule', ['paper', 'rescale', 'backtrack'])
def test_resume_bit_identical(rule):
    def make(params):
        return CoGD([dict(params=params, cogd_pair=True)], lr=0.05, momentum=0.9, rule=rule,
                    select='zero' if rule == 'paper' else 'top', l1=0.02, nonneg=True,
                    total_steps=20, beta=2.0)

    step_kwargs = dict(residual_sum=0.5) if rule == 'rescale' else {}
    full, half, opt = _train(make, 20, step_kwargs)
    assert int(opt.state[opt.param_groups[0]['params'][-1]]['step']) == 20
    state = torch.load(io.BytesIO(half), weights_only=True)
    resumed, _, opt2 = _train(make, 20, step_kwargs, state)
    assert torch.equal(full, resumed)
    assert opt2.strength(opt2.param_groups[0]) == opt.strength(opt.param_groups[0])
    assert opt.selected() == opt2.selected()


class _Masked(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.bn.soft_mask = nn.Parameter(torch.ones(4))
        self.fc = nn.Linear(4, 2)


def test_constructor_pairs_by_name():
    model = _Masked()
    cfg = dict(
        constructor='CoGDOptimWrapperConstructor',
        optimizer=dict(type='CoGD', lr=0.1, momentum=0.9, rule='paper'),
        paramwise_cfg=dict(cogd_pairs=[
            dict(x=r'(.*)bn\.soft_mask', A=[r'\1conv.weight', r'\1bn.weight', r'\1bn.bias'],
                 l1=1e-3, nonneg=True)
        ]))
    wrapper = build_optim_wrapper(model, cfg)
    groups = wrapper.optimizer.param_groups
    pairs = [g for g in groups if g['cogd_pair']]
    assert len(pairs) == 1
    assert pairs[0]['params'][-1] is model.bn.soft_mask
    assert pairs[0]['params'][0] is model.conv.weight
    assert pairs[0]['l1'] == 1e-3 and pairs[0]['nonneg']
    rest = {id(p) for g in groups if not g['cogd_pair'] for p in g['params']}
    assert rest == {id(model.conv.bias), id(model.fc.weight), id(model.fc.bias)}
    # with paramwise options the rest goes through mmengine's default constructor
    cfg['paramwise_cfg']['bias_decay_mult'] = 0.0
    cfg['optimizer']['weight_decay'] = 1e-4
    groups = build_optim_wrapper(model, cfg).optimizer.param_groups
    decays = {id(p): g['weight_decay'] for g in groups for p in g['params']}
    assert decays[id(model.fc.bias)] == 0.0 and decays[id(model.fc.weight)] == 1e-4
    assert sum(len(g['params']) for g in groups) == len(list(model.parameters()))


def test_constructor_errors():
    model = _Masked()

    def build(pairs, opt='CoGD'):
        return build_optim_wrapper(model, dict(
            constructor='CoGDOptimWrapperConstructor', optimizer=dict(type=opt, lr=0.1),
            paramwise_cfg=dict(cogd_pairs=pairs)))

    with pytest.raises(ValueError, match='not a parameter'):
        build([dict(x=r'(.*)bn\.soft_mask', A=r'\1conv2.weight')])
    with pytest.raises(ValueError, match='no parameter name matches'):
        build([dict(x=r'nothing', A='conv.weight')])
    with pytest.raises(ValueError, match='need the CoGD optimizer'):
        build([dict(x=r'(.*)bn\.soft_mask', A=r'\1conv.weight')], opt='SGD')
    with pytest.raises(ValueError, match='entries along couple_dim'):
        build([dict(x=r'(.*)bn\.soft_mask', A=r'\1fc.weight')])
