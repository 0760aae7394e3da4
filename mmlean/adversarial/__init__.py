"""Adversarial robustness on OpenMMLab: training attacks, adversarial training, and robust
accuracy with torchattacks (used by ABanditNAS, :mod:`mmlean.projects.abanditnas`)."""
from .attacks import check_attack_cfg, fgsm_random_start, pgd, random_start, run_attack
from .evaluation import RobustAccuracy, RobustTestLoop, RobustValLoop, build_attacks
from .training import AdversarialTraining, gt_labels
from .warmup import AttackWarmupHook, warmup_factor

__all__ = [
    'AdversarialTraining', 'AttackWarmupHook', 'RobustAccuracy', 'RobustTestLoop',
    'RobustValLoop', 'build_attacks', 'check_attack_cfg', 'fgsm_random_start', 'gt_labels', 'pgd',
    'random_start', 'run_attack', 'warmup_factor'
]
