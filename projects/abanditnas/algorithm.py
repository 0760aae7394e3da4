"""ABanditNAS as an MMRazor algorithm: anti-bandit search with fast adversarial training."""
from typing import Callable, Dict, Optional, Union

import torch
from mmengine.model import BaseModel
from mmrazor.registry import MODELS

from mmlean.adversarial import AdversarialTraining, check_attack_cfg, gt_labels
from mmlean.nas import SampleReduceAlgorithmMixin, SampleReduceMutator

REWARDS = ('adversarial', 'clean')


@MODELS.register_module()
class ABanditNAS(SampleReduceAlgorithmMixin, AdversarialTraining):
    """`Anti-Bandit NAS for Model Defense <https://arxiv.org/abs/2008.00698>`_ (Chen et al.,
    ECCV 2020).

    A supernet of single-input cells (:class:`~mmlean.nas.ABanditBackbone`) over the
    robust op space (:mod:`mmlean.nas.robust_ops`), searched by
    :class:`~mmlean.nas.SampleReduceSearchLoop` with the anti-bandit scorer
    (:class:`~mmlean.nas.AntiBanditScorer`: LCB sampling, EMA update, UCB
    abandonment every ``K T`` paths). Each sampled path trains one epoch on
    adversarial examples of FGSM with a random start (``attack``; Algorithm 8 of
    the authors' book chapter, lines 9-14) and is rewarded with its validation
    accuracy: on adversarial examples of ``reward_attack`` (``reward='adversarial'``,
    our default: the search is for robustness) or clean (``'clean'``); which one
    the paper used is not stated. No architecture parameters: the choice is the
    bandit's alone; each node keeps its one input edge whose surviving op has the
    highest performance ``m`` (the mutator's ``num_inputs=1``, ``route_rank='score'``).

    Args:
        architecture (dict | BaseModel): the supernet classifier.
        mutator (dict | SampleReduceMutator): defaults to the anti-bandit scorer.
        attack (dict): the search-time training attack. Defaults to FGSM with a
            random start, ``eps = 8/255``, ``alpha = 1.25 eps`` (Wong et al.'s step; the
            book leaves alpha open).
        reward (str): 'adversarial' or 'clean'. Defaults to 'adversarial'.
        reward_attack (dict, optional): the attack of the adversarial reward.
            Defaults to ``attack``.
        attack_bn, data_preprocessor, init_cfg: as :class:`AdversarialTraining`.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 mutator: Union[Dict, SampleReduceMutator, None] = None,
                 attack: Dict = dict(type='fgsm_rs', eps=8 / 255, alpha=10 / 255),
                 reward: str = 'adversarial', reward_attack: Optional[Dict] = None,
                 attack_bn: str = 'train', data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(architecture, attack=attack, attack_bn=attack_bn,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        name = type(self).__name__
        if reward not in REWARDS:
            raise ValueError(f'{name}: reward must be one of {REWARDS}, got {reward!r}')
        self.reward = reward
        self.reward_attack = check_attack_cfg(reward_attack or attack, name)
        if mutator is None:
            mutator = dict(type='SampleReduceMutator', scorer=dict(type='AntiBanditScorer'),
                           num_inputs=1, route_rank='score')
        if isinstance(mutator, dict):
            mutator = MODELS.build(dict(mutator, _scope_=mutator.get('_scope_', 'mmrazor')))
        if not isinstance(mutator, SampleReduceMutator):
            raise TypeError(f'{name} needs a SampleReduceMutator, got {type(mutator).__name__}')
        mutator.prepare_from_supernet(self.architecture)
        self.mutator = mutator
        self._attack_eval = False

    def draw_subnet(self, fix_subnet: Dict, work_dir: str) -> None:
        """``genotype.json`` and ``cells.png`` of the searched cells (called by the loop)."""
        import os.path as osp

        import mmengine

        from .genotypes import subnet_to_abandit_genotype
        from .plot import plot_abandit_cells
        genotype = subnet_to_abandit_genotype(fix_subnet)
        mmengine.dump(dict(genotype={k: [list(n) for n in v] for k, v in genotype.items()}),
                      osp.join(work_dir, 'genotype.json'))
        plot_abandit_cells(genotype, osp.join(work_dir, 'cells.png'), title='ABanditNAS cells')

    def train_step(self, data, optim_wrapper):
        return self.supernet_train_step(self, data, optim_wrapper)

    def sample_reward(self, evaluate: Callable[..., float]) -> float:
        """The path's validation accuracy, on ``reward_attack`` examples if adversarial."""
        self._attack_eval = self.reward == 'adversarial'
        try:
            return evaluate()
        finally:
            self._attack_eval = False

    def test_step(self, data):
        """Predictions; while a path is rewarded adversarially, on its attacked inputs."""
        if not self._attack_eval:
            return super().test_step(data)
        data = self.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.enable_grad():
            adv = self.adversarial(inputs, gt_labels(samples).to(inputs.device),
                                   self.reward_attack, 'eval')
        return self.architecture(adv, samples, mode='predict')
