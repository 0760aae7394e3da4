"""SPPLoss against an independent numpy re-statement, for every pooling mode."""
import numpy as np
import pytest
import torch

from mmlean.projects.nascount import SPPLoss


def _block(a, k, mode):
    """k x k / stride k pooling of a 2-D array by explicit loops (partial windows padded:
    zeros for avg/sum, ignored for max)."""
    h, w = a.shape
    oh, ow = -(-h // k), -(-w // k)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = a[i * k:(i + 1) * k, j * k:(j + 1) * k]
            if mode == 'max':
                out[i, j] = win.max()
            elif mode == 'sum':
                out[i, j] = win.sum()
            else:
                out[i, j] = win.sum() / (k * k)
    return out


def _reference(pred, target, levels, pool_of_level, weights, k=2):
    """sum_l w_l * mean over batch and cells of (P^l(pred) - P^l(target))^2."""
    total = 0.0
    ps = [p[0] for p in pred]
    ts = [t[0] for t in target]
    for lv in range(levels + 1):
        if lv > 0:
            ps = [pool_of_level(lv, p) for p in ps]
            ts = [pool_of_level(lv, t) for t in ts]
        sq = np.concatenate([((p - t)**2).ravel() for p, t in zip(ps, ts)])
        total += weights[lv] * sq.mean()
    return total


def _maps(seed=0, shape=(2, 1, 13, 10)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.random(shape)


@pytest.mark.parametrize('mode', ['avg', 'sum', 'max'])
@pytest.mark.parametrize('levels', [0, 1, 3])
def test_fixed_pooling_modes(mode, levels):
    pred, target = _maps()
    weights = [1.0, 0.5, 2.0, 0.25][:levels + 1]
    loss = SPPLoss(levels=levels, pool=mode, weights=weights, loss_weight=1.5)
    got = loss(torch.tensor(pred), torch.tensor(target)).item()
    want = 1.5 * _reference(pred, target, levels, lambda lv, a: _block(a, 2, mode), weights)
    assert got == pytest.approx(want, rel=1e-10)


def test_level_zero_is_mse_and_sum_keeps_regional_counts():
    pred, target = _maps(1)
    p, t = torch.tensor(pred), torch.tensor(target)
    assert SPPLoss(levels=0).forward(p, t).item() == pytest.approx(((pred - target)**2).mean())
    # sum pooling: the coarsest level compares regional counts, summing to the totals
    loss = SPPLoss(levels=3, pool='sum')
    a, b = p, t
    for lv in range(1, 4):
        a, b = loss.pool_level(lv, a, b)
    assert a.sum().item() == pytest.approx(pred.sum()) and b.sum().item() == pytest.approx(
        target.sum())


def test_searched_pooling_is_a_mutable_mixture():
    from mmrazor.models.mutators import NasMutator
    pred, target = _maps(2, (3, 1, 16, 12))
    loss = SPPLoss(levels=2, pool='searched', candidates=('avg', 'max', 'sum'),
                   weights=[1.0, 1.0, 0.5])
    mutator = NasMutator()
    mutator.prepare_from_supernet(loss)
    mutator.prepare_arch_params()
    groups = {m[0].alias: name for name, m in mutator.search_groups.items()}
    assert sorted(groups) == ['spp_l1', 'spp_l2']
    gammas = {'spp_l1': [0.3, -1.0, 0.8], 'spp_l2': [2.0, 0.1, -0.5]}
    with torch.no_grad():
        for alias, g in gammas.items():
            mutator.arch_params[groups[alias]].copy_(torch.tensor(g))
    got = loss(torch.tensor(pred), torch.tensor(target))

    def mixed(lv, a):
        g = np.array(gammas[f'spp_l{lv}'])
        w = np.exp(g) / np.exp(g).sum()
        return sum(wi * _block(a, 2, m) for wi, m in zip(w, ('avg', 'max', 'sum')))

    want = _reference(pred, target, 2, mixed, [1.0, 1.0, 0.5])
    assert got.item() == pytest.approx(want, rel=1e-6)
    # the gradient reaches the architecture parameters (learned with the architecture)
    got.backward()
    assert all(mutator.arch_params[n].grad is not None for n in groups.values())
    # argmax derivation, then the fixed loss is the single chosen pooling per level
    mutator.set_choices(mutator.sample_choices())
    chosen = {m[0].alias: m[0].current_choice for m in mutator.search_groups.values()}
    assert chosen == {'spp_l1': 'sum', 'spp_l2': 'avg'}
    for m in loss.pools:
        m.fix_chosen(m.current_choice)
    fixed = loss(torch.tensor(pred), torch.tensor(target)).item()
    modes = {1: 'sum', 2: 'avg'}
    want = _reference(pred, target, 2, lambda lv, a: _block(a, 2, modes[lv]), [1.0, 1.0, 0.5])
    assert fixed == pytest.approx(want, rel=1e-10)


def test_bad_arguments():
    with pytest.raises(ValueError, match='pool must be one of'):
        SPPLoss(pool='median')
    with pytest.raises(ValueError, match='weights'):
        SPPLoss(levels=2, weights=[1, 1])
    with pytest.raises(ValueError, match='differ in shape'):
        SPPLoss()(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5))
