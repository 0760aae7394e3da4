"""NAS-Count: Counting-by-Density with Neural Architecture Search (Hu et al., ECCV 2020,
arXiv 2003.00217) on mmengine and MMRazor.

Importing this package registers the counting task in mmengine's root registries
(``CrowdCountingDataset``; the point/density transforms; ``CountingMetric``;
``CrowdCounter``, ``DensityHead``, ``CSRNetBackEnd``, the AMSNet supernet parts and
ops, ``SPPLoss``; ``ExportSubnetHook``) and mmlean's NAS machinery
(:mod:`mmlean.nas`, which applies the mmrazor DARTS fixes the search relies on).
"""
import mmlean.nas  # noqa: F401
from .datasets import *  # noqa: F401,F403
from .datasets import __all__ as _datasets_all
from .evaluation import CountingMetric
from .models import *  # noqa: F401,F403
from .models import __all__ as _models_all
from .visualization import plot_density

__all__ = list(_datasets_all) + list(_models_all) + ['CountingMetric', 'plot_density']
