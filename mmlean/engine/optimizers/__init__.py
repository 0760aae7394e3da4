"""Optimizers and optim-wrapper constructors (mmengine's root registries)."""
from .cogd import CoGD, apply_correction, decay_factor, select_positions
from .cogd_constructor import CoGDOptimWrapperConstructor
from .frozen_constructor import SkipFrozenOptimWrapperConstructor

__all__ = [
    'CoGD', 'CoGDOptimWrapperConstructor', 'SkipFrozenOptimWrapperConstructor',
    'apply_correction', 'decay_factor', 'select_positions'
]
