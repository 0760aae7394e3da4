"""Shared models (registered into mmpretrain's MODELS when imported)."""
from . import activations  # noqa: F401
from .backbones import *  # noqa: F401,F403
from .necks import FlattenNeck, PoolBatchNormNeck  # noqa: F401
