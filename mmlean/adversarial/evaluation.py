"""Robust accuracy: clean and attacked top-1, attacks from ``torchattacks``.

:class:`RobustTestLoop` / :class:`RobustValLoop` (mmengine's root ``LOOPS``)
run each test batch clean and through every configured torchattacks attack
(FGSM, PGD-7, PGD-20, MI-FGSM-10, ... as ABanditNAS's evaluation,
github.com/bczhangbczhang/ABanditNAS ``defenses/defense_all.py``), with the
model in eval mode and its inputs in [0, 1]; :class:`RobustAccuracy` (root
``METRICS``) reports ``robust/<name>`` top-1 (%) per attack. The attacks' random
starts come from a fixed seed in a forked RNG, so a test is repeatable and
leaves the training RNG alone.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmengine.model import is_model_wrapper
from mmengine.registry import LOOPS, METRICS
from mmengine.runner import TestLoop, ValLoop

from .training import gt_labels

ATTACKS = ('FGSM', 'FFGSM', 'PGD', 'MIFGSM', 'BIM', 'TPGD')


class _Logits(nn.Module):
    """A classifier seen as ``images in [0, 1] -> logits`` (what torchattacks calls)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x, mode='tensor')
        return out[-1] if isinstance(out, (tuple, list)) else out


def build_attacks(cfgs: Sequence[Dict], model: nn.Module) -> Dict[str, object]:
    """``{name: torchattacks attack}`` from ``[dict(name='PGD-7', type='PGD', eps=..), ..]``."""
    import torchattacks
    attacks = {}
    for cfg in cfgs:
        cfg = dict(cfg)
        kind = cfg.pop('type', None)
        name = cfg.pop('name', kind)
        if kind not in ATTACKS:
            raise ValueError(f'robust evaluation: attack type must be one of {ATTACKS}, '
                             f'got {kind!r} (in {cfg})')
        if name in attacks or name == 'clean':
            raise ValueError(f'robust evaluation: attack name {name!r} is used twice')
        try:
            attacks[name] = getattr(torchattacks, kind)(model, **cfg)
        except TypeError as err:
            raise ValueError(f'robust evaluation: attack {name!r}: {err}') from None
    return attacks


class _RobustEvalMixin:
    """Runs every batch clean and through each attack; feeds correctness to the evaluator."""

    def _setup_attacks(self, attacks: Sequence[Dict], seed: int) -> None:
        model = self.runner.model.module if is_model_wrapper(self.runner.model) \
            else self.runner.model
        self._target = model
        self._logits = _Logits(model)
        self.attacks = build_attacks(attacks, self._logits)
        self.attack_seed = int(seed)

    def _run(self):
        # eval mode for the wrapper too: torchattacks restores the mode it finds on it
        self.runner.model.eval()
        self._logits.eval()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.attack_seed)
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))

    def run_iter(self, idx, data_batch) -> None:
        self.runner.call_hook(f'before_{self._stage}_iter', batch_idx=idx, data_batch=data_batch)
        data = self._target.data_preprocessor(data_batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        if inputs.min() < 0 or inputs.max() > 1:
            raise ValueError('robust evaluation: the data preprocessor must give images in '
                             '[0, 1] (mean=0, std=255; normalize inside the model), got '
                             f'[{float(inputs.min()):.3g}, {float(inputs.max()):.3g}]')
        labels = gt_labels(samples).to(inputs.device)
        correct = {}
        with torch.no_grad():
            correct['clean'] = self._logits(inputs).argmax(1) == labels
        for name, attack in self.attacks.items():
            adv = attack(inputs, labels)
            with torch.no_grad():
                correct[name] = self._logits(adv).argmax(1) == labels
        outputs = [dict(correct={k: bool(v[i]) for k, v in correct.items()})
                   for i in range(len(labels))]
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(f'after_{self._stage}_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)


@LOOPS.register_module()
class RobustTestLoop(_RobustEvalMixin, TestLoop):
    """mmengine's ``TestLoop`` reporting clean and attacked accuracy (``test_evaluator``
    should be :class:`RobustAccuracy`).

    Args:
        runner, dataloader, evaluator, fp16: as ``TestLoop``.
        attacks (list[dict]): torchattacks configs, ``name`` (the metric key) and
            ``type`` (class name) plus its arguments, e.g.
            ``dict(name='PGD-7', type='PGD', eps=8/255, alpha=2/255, steps=7)``.
        seed (int): seed of the attacks' random starts. Defaults to 0.
    """
    _stage = 'test'

    def __init__(self, runner, dataloader, evaluator, attacks: Sequence[Dict] = (),
                 seed: int = 0, fp16: bool = False):
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup_attacks(attacks, seed)

    def run(self) -> dict:
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        metrics = self._run()
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics


@LOOPS.register_module()
class RobustValLoop(_RobustEvalMixin, ValLoop):
    """mmengine's ``ValLoop`` with the attacks of :class:`RobustTestLoop`."""
    _stage = 'val'

    def __init__(self, runner, dataloader, evaluator, attacks: Sequence[Dict] = (),
                 seed: int = 0, fp16: bool = False):
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup_attacks(attacks, seed)

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        metrics = self._run()
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics


@METRICS.register_module()
class RobustAccuracy(BaseMetric):
    """Top-1 accuracy (%) per condition (``clean`` and each attack) of a robust loop.

    Reads ``data_samples`` of the form ``dict(correct={condition: bool})``; reports
    ``robust/<condition>``.
    """
    default_prefix = 'robust'

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device, prefix)

    def process(self, data_batch, data_samples: Sequence[Union[Dict, object]]) -> None:
        for sample in data_samples:
            if not isinstance(sample, dict) or 'correct' not in sample:
                raise TypeError('RobustAccuracy reads the outputs of RobustTestLoop / '
                                'RobustValLoop (dict(correct=...)); set test_cfg/val_cfg type '
                                'to RobustTestLoop / RobustValLoop')
            self.results.append(dict(sample['correct']))

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        keys = list(results[0]) if results else []
        return {k: 100.0 * sum(r[k] for r in results) / len(results) for k in keys}
