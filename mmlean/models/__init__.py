"""Shared models (registered into mmpretrain's MODELS when imported)."""
from .backbones import *  # noqa: F401,F403
