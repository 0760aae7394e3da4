"""RBNN: Rotated Binary Neural Network (NeurIPS 2020) on MMRazor/MMPretrain.

Importing this package registers :class:`RBNN` (mmrazor MODELS),
:class:`RBNNHook` (mmengine HOOKS) and mmlean's shared backbones, necks and
datasets (mmpretrain registries).
"""
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
from .algorithm import RBNN, binarize_convs
from .hooks import RBNNHook

__all__ = ['RBNN', 'RBNNHook', 'binarize_convs']
