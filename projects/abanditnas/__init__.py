"""ABanditNAS: Anti-Bandit Neural Architecture Search for Model Defense (ECCV 2020) on MMRazor.

Importing this package registers :class:`ABanditNAS` (mmrazor MODELS) with the
shared NAS machinery (:mod:`mmlean.nas`: the robust op space, the single-input
cell network, the anti-bandit scorer) and the adversarial parts
(:mod:`mmlean.adversarial`: training attacks, :class:`AdversarialTraining`,
robust accuracy with torchattacks).
"""
import mmlean.adversarial  # noqa: F401
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
import mmlean.nas  # noqa: F401
from .algorithm import ABanditNAS
from .genotypes import (ABANDIT_CIFAR_1, ABANDIT_CIFAR_2, ABANDIT_GENOTYPES, ABANDIT_PRIMITIVES,
                        abandit_genotype_to_subnet, subnet_to_abandit_genotype)
from .plot import plot_abandit_cells

__all__ = [
    'ABanditNAS', 'ABANDIT_CIFAR_1', 'ABANDIT_CIFAR_2', 'ABANDIT_GENOTYPES', 'ABANDIT_PRIMITIVES',
    'abandit_genotype_to_subnet', 'subnet_to_abandit_genotype', 'plot_abandit_cells'
]
