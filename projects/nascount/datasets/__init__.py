"""Crowd-counting data: readers of the released formats, the dataset, density maps and
point-consistent transforms (registered in mmengine's root registries)."""
from .dataset import CrowdCountingDataset, mean_count
from .density import adaptive_sigmas, density_count, points_to_density, sum_pool_density
from .readers import CountingFormatError, read_ann_points, read_shanghaitech_points
from .transforms import (ComputeHeadSigmas, DownsampleDensity, GenerateDensityMap,
                         PackCountingInputs, RandomCropWithPoints, RandomFlipWithPoints,
                         ResizeWithPoints)

__all__ = [
    'CrowdCountingDataset', 'mean_count', 'adaptive_sigmas', 'density_count',
    'points_to_density', 'sum_pool_density', 'CountingFormatError', 'read_ann_points',
    'read_shanghaitech_points', 'ComputeHeadSigmas', 'DownsampleDensity', 'GenerateDensityMap',
    'PackCountingInputs', 'RandomCropWithPoints', 'RandomFlipWithPoints', 'ResizeWithPoints'
]
