"""AttackWarmupHook: clean epochs, then eps and alpha grow linearly per iteration to the
configured attack; the schedule depends on the iteration only (a resumed run continues it).
(Its use in a real run: the digits-on-photos ABanditNAS retraining config,
tests/test_configs/test_nas.py.)"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from mmlean.adversarial import AttackWarmupHook, warmup_factor

PGD = dict(type='pgd', eps=8 / 255, alpha=2 / 255, steps=7)


@pytest.mark.parametrize('n, clean, ramp', [(10, 2, 3), (7, 0, 1), (5, 1.4, 2), (4, 3, 0)])
def test_factor_is_the_linear_interpolation_of_the_iteration_count(n, clean, ramp):
    # reference: the number of finished iterations (i + 1) interpolated between the end of
    # the clean iterations (factor 0) and the end of the ramp (factor 1)
    start, end = round(clean * n), round((clean + ramp) * n)
    for i in range(int((clean + ramp + 2) * n)):
        want = float(np.interp(i + 1, [start, max(end, start + 1e-9)], [0.0, 1.0]))
        assert warmup_factor(i, n, clean, ramp) == pytest.approx(want), i


def _runner(model, n):
    return SimpleNamespace(model=model, iter=0, train_dataloader=range(n),
                           message_hub=MessageHub.get_instance('test_attack_warmup'))


def _hooked(clean_epochs, ramp_epochs, n=4):
    """A model with the PGD attack, its runner and a started hook."""
    model = torch.nn.Module()
    model.attack = dict(PGD)
    runner = _runner(model, n)
    hook = AttackWarmupHook(clean_epochs=clean_epochs, ramp_epochs=ramp_epochs)
    hook.before_train(runner)
    return hook, runner


def _schedule(hook, runner, iterations):
    seen = []
    for i in iterations:
        runner.iter = i
        hook.before_train_iter(runner, batch_idx=i)
        seen.append(runner.model.attack)
    return seen


def test_the_hook_trains_clean_then_scales_eps_and_alpha_together():
    hook, runner = _hooked(clean_epochs=1, ramp_epochs=2)
    seen = _schedule(hook, runner, range(16))
    assert seen[:4] == [None] * 4  # the first epoch (4 iterations) is clean
    for k, attack in enumerate(seen[4:12], start=1):  # the ramp: 8 iterations, k/8 each
        assert attack['eps'] == pytest.approx(PGD['eps'] * k / 8), k
        assert attack['alpha'] == pytest.approx(PGD['alpha'] * k / 8), k
        assert attack['steps'] == 7 and attack['type'] == 'pgd'
    assert all(a == PGD for a in seen[12:])
    assert runner.message_hub.get_scalar('train/attack_eps').current() == pytest.approx(
        PGD['eps'])
    # resumed at iteration 6: the same attack as the first run had there
    hook2, again = _hooked(clean_epochs=1, ramp_epochs=2)
    assert _schedule(hook2, again, [6]) == [seen[6]]
    hook.after_train(runner)
    assert runner.model.attack == PGD


def test_no_warmup_is_the_configured_attack_from_the_first_iteration():
    hook, runner = _hooked(clean_epochs=0, ramp_epochs=0)
    assert _schedule(hook, runner, range(3)) == [PGD] * 3


def _classifier(attack):
    from mmrazor.registry import MODELS

    import mmlean.models  # noqa: F401  (CIFARResNet)
    torch.manual_seed(0)
    return MODELS.build(dict(
        _scope_='mmrazor', type='AdversarialTraining', attack=attack,
        data_preprocessor=dict(num_classes=10, mean=[0.0], std=[255.0]),
        architecture=dict(
            type='ImageClassifier', backbone=dict(type='CIFARResNet', depth=8, in_channels=1),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                      loss=dict(type='CrossEntropyLoss')))))


def test_the_training_loss_is_clean_while_the_attack_is_off():
    from mmpretrain.structures import DataSample
    model = _classifier(dict(PGD, eps=0.05, alpha=0.02, steps=2))
    clean = _classifier(None)
    runner = _runner(model, n=2)
    hook = AttackWarmupHook(clean_epochs=1, ramp_epochs=1)
    hook.before_train(runner)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 1, 12, 12, generator=gen)
    labels = torch.randint(0, 10, (8, ), generator=gen)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    model.train(), clean.train()
    attacked = model(x, samples, mode='loss')['loss']
    _schedule(hook, runner, [0])  # iteration 0: clean
    model.train(), clean.train()
    got, want = model(x, samples, mode='loss')['loss'], clean(x, samples, mode='loss')['loss']
    assert torch.equal(got, want)
    assert attacked > want  # the attack had been on before the hook turned it off


def test_refuses_negative_epochs_and_a_model_without_an_attack():
    with pytest.raises(ValueError, match='must be >= 0'):
        AttackWarmupHook(ramp_epochs=-1)
    model = torch.nn.Module()
    model.attack = None
    with pytest.raises(ValueError, match='no training attack'):
        AttackWarmupHook(ramp_epochs=1).before_train(_runner(model, n=2))
