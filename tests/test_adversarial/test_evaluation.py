"""Robust accuracy: the metric by hand, the loop through a real config and tools/test.py."""
import os.path as osp

import pytest
import torch

import mmlean  # noqa: F401
from mmlean.adversarial import RobustAccuracy, build_attacks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_metric_by_hand():
    metric = RobustAccuracy()
    metric.process(None, [dict(correct=dict(clean=True, PGD=False)),
                          dict(correct=dict(clean=True, PGD=True)),
                          dict(correct=dict(clean=False, PGD=False)),
                          dict(correct=dict(clean=True, PGD=False))])
    assert metric.compute_metrics(metric.results) == dict(clean=75.0, PGD=25.0)
    with pytest.raises(TypeError, match='RobustTestLoop'):
        metric.process(None, [dict(pred_label=1)])


def test_attack_configs_are_checked():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match='must be one of'):
        build_attacks([dict(type='Nope')], model)
    with pytest.raises(ValueError, match='used twice'):
        build_attacks([dict(type='FGSM'), dict(type='FGSM')], model)
    with pytest.raises(ValueError, match="'PGD-x'"):
        build_attacks([dict(name='PGD-x', type='PGD', stepz=3)], model)


def test_robust_test_loop_on_the_digits_config(tmp_path):
    """tools/test.py's loop on the real config: accuracy under attack <= clean, repeatable."""
    from mmengine.runner import Runner

    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs', 'abanditnas',
                               'abanditnas_c8l6-pgd7_1xb64-30e_digits.py'))
    cfg.work_dir = str(tmp_path)
    cfg.test_dataloader.dataset.indices = 64
    cfg.test_cfg.attacks = cfg.test_cfg.attacks[:1] + cfg.test_cfg.attacks[2:3]  # FGSM, PGD-7
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    first = runner.test()
    assert set(first) == {'robust/clean', 'robust/FGSM', 'robust/PGD-7'}
    assert first['robust/PGD-7'] <= first['robust/clean']
    state = torch.get_rng_state()
    assert runner.test() == first  # seeded random starts, in a forked RNG
    assert torch.equal(torch.get_rng_state(), state)
