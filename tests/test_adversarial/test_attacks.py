"""The training attacks against torchattacks (same random start) and their constraints."""
import pytest
import torch
import torch.nn as nn

import mmlean  # noqa: F401
from mmlean.adversarial import check_attack_cfg, fgsm_random_start, pgd, run_attack


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 8 * 8, 10)).eval()


def data():
    gen = torch.Generator().manual_seed(1)
    return torch.rand(16, 1, 8, 8, generator=gen), torch.randint(0, 10, (16, ), generator=gen)


def test_fgsm_random_start_equals_torchattacks_ffgsm():
    import torchattacks
    model, (x, y) = small_model(), data()
    eps, alpha = 0.1, 0.125
    torch.manual_seed(5)
    want = torchattacks.FFGSM(model, eps=eps, alpha=alpha)(x, y)
    torch.manual_seed(5)  # FFGSM draws its start as randn_like(x).uniform_(-eps, eps)
    start = torch.clamp(x + torch.randn_like(x).uniform_(-eps, eps), 0, 1)
    got = fgsm_random_start(model, x, y, eps, alpha, start=start)
    assert torch.allclose(got, want, atol=1e-7)


@pytest.mark.parametrize('steps', [1, 7])
def test_pgd_equals_torchattacks_pgd_from_the_same_seed(steps):
    import torchattacks
    model, (x, y) = small_model(), data()
    torch.manual_seed(3)
    want = torchattacks.PGD(model, eps=0.1, alpha=0.025, steps=steps, random_start=True)(x, y)
    torch.manual_seed(3)
    got = pgd(model, x, y, 0.1, 0.025, steps)
    assert torch.allclose(got, want, atol=1e-7)
    want = torchattacks.PGD(model, eps=0.1, alpha=0.025, steps=steps, random_start=False)(x, y)
    assert torch.allclose(pgd(model, x, y, 0.1, 0.025, steps, rand_init=False), want, atol=1e-7)


@pytest.mark.parametrize('cfg', [dict(type='fgsm_rs', eps=0.05, alpha=0.0625),
                                 dict(type='pgd', eps=0.05, alpha=0.02, steps=5)])
def test_attacks_stay_in_the_eps_ball_and_in_range_and_raise_the_loss(cfg):
    model, (x, y) = small_model(), data()
    torch.manual_seed(0)
    adv = run_attack(check_attack_cfg(cfg, 'test'), model, x, y)
    assert (adv - x).abs().max() <= cfg['eps'] + 1e-7
    assert adv.min() >= 0 and adv.max() <= 1
    loss = nn.functional.cross_entropy
    assert loss(model(adv), y) > loss(model(x), y)


def test_bad_attack_configs_name_the_problem():
    for cfg, match in ((dict(type='cw', eps=0.1, alpha=0.1), 'type'),
                       (dict(type='pgd', eps=0.1, alpha=0.1), 'steps'),
                       (dict(type='fgsm_rs', eps=0, alpha=0.1), 'eps'),
                       (dict(type='pgd', eps=0.1, alpha=0.1, steps=2, step=3), 'unknown')):
        with pytest.raises(ValueError, match=match):
            check_attack_cfg(cfg, 'where')
