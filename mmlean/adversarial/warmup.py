"""A warm-up of the training attack's strength (clean epochs, then a linear eps ramp)."""
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from .attacks import check_attack_cfg


def warmup_factor(iteration: int, iters_per_epoch: int, clean_epochs: float,
                  ramp_epochs: float) -> float:
    """The fraction of the configured eps used at (0-based) ``iteration``.

    0 during the first ``clean_epochs`` epochs, then ``k / ramp_iters`` at the ``k``-th
    iteration of the ramp (so the first attacked iteration has a small eps > 0), 1 after.
    """
    clean_iters = round(clean_epochs * iters_per_epoch)
    ramp_iters = round(ramp_epochs * iters_per_epoch)
    step = iteration + 1 - clean_iters
    if step <= 0:
        return 0.0
    if step >= ramp_iters:
        return 1.0
    return step / ramp_iters


@HOOKS.register_module()
class AttackWarmupHook(Hook):
    """Adversarial training that starts clean and grows the attack to its configured eps.

    A small network trained from scratch with PGD on a hard task can stay at chance: on
    the 16x16 digits-on-photos proxy the 6-cell C = 8 ABanditNAS network trained with
    PGD-7 kept a loss of 2.31 (chance) for 6 epochs even at eps = 2/255, while the same
    network trained clean reached 87%, and adversarial fine-tuning of that clean network
    at eps = 2/255 trained at once (76% clean accuracy after one epoch). This hook trains
    the first ``clean_epochs`` epochs clean, then scales eps and the step size ``alpha``
    together linearly, per iteration, up to the configured attack over ``ramp_epochs``
    (the ramped-eps schedule of Gowal et al., "On the Effectiveness of Interval Bound
    Propagation", arXiv 1810.12715, applied to PGD training). Not part of
    ABanditNAS's recipe (Madry et al.'s PGD-7 from the first epoch): a proxy's choice.

    It drives the ``attack`` of the trained model (:class:`~mmlean.adversarial.
    AdversarialTraining` and its subclasses); the factor depends only on the
    iteration, so a resumed run continues the same schedule. The current eps is logged
    as ``train/attack_eps``.

    With both 0 the configured attack runs from the first iteration (the paper's recipe,
    ``--cfg-options custom_hooks.1.ramp_epochs=0`` on a config that lists the hook second);
    with ``clean_epochs`` >= the run's epochs it trains clean throughout.

    Args:
        clean_epochs (float): epochs trained without the attack. Defaults to 0.
        ramp_epochs (float): epochs over which eps grows to its configured value.
    """

    def __init__(self, ramp_epochs: float, clean_epochs: float = 0.0):
        self.clean_epochs, self.ramp_epochs = float(clean_epochs), float(ramp_epochs)
        if self.clean_epochs < 0 or self.ramp_epochs < 0:
            raise ValueError(f'AttackWarmupHook: clean_epochs and ramp_epochs must be >= 0, '
                             f'got {clean_epochs!r} and {ramp_epochs!r}')
        self.target: Optional[Dict] = None

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        attack = getattr(model, 'attack', None)
        if attack is None:
            raise ValueError(f'AttackWarmupHook: the model ({type(model).__name__}) has no '
                             f'training attack to warm up (model.attack is None)')
        self.target = check_attack_cfg(attack, 'AttackWarmupHook')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        factor = warmup_factor(runner.iter, len(runner.train_dataloader), self.clean_epochs,
                               self.ramp_epochs)
        model = self._model(runner)
        if factor == 0:
            model.attack = None
        else:
            model.attack = dict(self.target, eps=self.target['eps'] * factor,
                                alpha=self.target['alpha'] * factor)
        runner.message_hub.update_scalar('train/attack_eps', self.target['eps'] * factor)

    def after_train(self, runner) -> None:
        self._model(runner).attack = dict(self.target)  # as configured, for what follows
