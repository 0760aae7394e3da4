"""Shared datasets (registered into the matching OpenMMLab registry)."""
from .digits import DigitsDataset
from .digits_on_photos import DigitsOnPhotosDataset
from .split import SplitDataset

__all__ = ['DigitsDataset', 'DigitsOnPhotosDataset', 'SplitDataset']
