"""Shared datasets (registered into the matching OpenMMLab registry)."""
from .digits import DigitsDataset

__all__ = ['DigitsDataset']
