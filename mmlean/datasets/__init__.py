"""Shared datasets (registered into the matching OpenMMLab registry)."""
from .digits import DigitsDataset
from .split import SplitDataset

__all__ = ['DigitsDataset', 'SplitDataset']
