"""Adversarial training of any mmpretrain classifier, as an MMRazor algorithm."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.registry import MODELS

from mmlean.utils.algorithm import classifier_defaults
from .attacks import check_attack_cfg, run_attack

BN_MODES = ('train', 'eval')


def gt_labels(data_samples: List) -> torch.Tensor:
    """The class indices of mmpretrain ``DataSample`` s (one per image)."""
    return torch.cat([s.gt_label.reshape(-1)[:1] for s in data_samples])


@MODELS.register_module()
class AdversarialTraining(BaseAlgorithm):
    """Trains ``architecture`` on adversarial examples of each batch (min-max objective).

    ``min_theta E max_{||delta||_inf <= eps} CE(f_theta(x + delta), y)`` (Madry et
    al., arXiv 1706.06083, Eq. 2; ABanditNAS, arXiv 2008.00698, Sec. 3.3): each
    training batch is replaced by its adversarial examples (:func:`run_attack`:
    PGD, e.g. PGD-7 as ABanditNAS's final training, or FGSM with a random start)
    before the usual loss. Inputs are attacked in [0, 1] pixel space: use a data
    preprocessor that only scales (``mean=0, std=255``) and normalize inside the
    network (:class:`~mmlean.nas.ABanditBackbone` does).

    ``attack_bn``: the BN mode while the attack runs: ``'train'`` (batch
    statistics, the running averages updated by the attack's forwards too, as
    Madry et al.'s and Wong et al.'s training code) or ``'eval'`` (running
    statistics, nothing updated). Evaluation and prediction are the
    architecture's (robust accuracy: :class:`~mmlean.adversarial.RobustTestLoop`).

    Args:
        architecture (dict | BaseModel): the classifier (may be ``mmrazor.sub_model``).
        attack (dict | None): ``dict(type='pgd', eps=, alpha=, steps=)`` or
            ``dict(type='fgsm_rs', eps=, alpha=)``; None trains on clean batches
            (the same pipeline's clean baseline).
        attack_bn (str): 'train' or 'eval'. Defaults to 'train'.
        data_preprocessor, init_cfg: as ``BaseAlgorithm``.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 attack: Optional[Dict] = dict(type='pgd', eps=8 / 255, alpha=2 / 255, steps=7),
                 attack_bn: str = 'train', data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        architecture, data_preprocessor = classifier_defaults(architecture, data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        name = type(self).__name__
        self.attack = None if attack is None else check_attack_cfg(attack, name)
        if attack_bn not in BN_MODES:
            raise ValueError(f'{name}: attack_bn must be one of {BN_MODES}, got {attack_bn!r}')
        self.attack_bn = attack_bn

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The architecture's class scores of images in [0, 1]."""
        out = self.architecture(inputs, mode='tensor')
        return out[-1] if isinstance(out, (tuple, list)) else out

    def adversarial(self, inputs: torch.Tensor, labels: torch.Tensor, attack: Dict,
                    bn_mode: str) -> torch.Tensor:
        """Adversarial examples of ``inputs`` under ``attack``, BN in ``bn_mode``."""
        was_training = self.architecture.training
        self.architecture.train(bn_mode == 'train')
        try:
            return run_attack(attack, self.logits, inputs, labels)
        finally:
            self.architecture.train(was_training)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> Dict:
        if self.attack is not None:
            inputs = self.adversarial(inputs, gt_labels(data_samples), self.attack,
                                      self.attack_bn)
        return self.architecture(inputs, data_samples, mode='loss')
