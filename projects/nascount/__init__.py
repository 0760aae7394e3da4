"""NAS-Count: Counting-by-Density with Neural Architecture Search (Hu et al., ECCV 2020,
arXiv 2003.00217) on mmengine and MMRazor.

Importing this package registers the counting task in mmengine's root registries
(dataset, transforms, metric, counter, CSRNet and AMSNet parts, SPPLoss, hooks) and
mmlean's NAS machinery (:mod:`mmlean.nas`, which applies the mmrazor DARTS fixes).
"""
import mmlean.nas  # noqa: F401
from .datasets import *  # noqa: F401,F403
from .datasets import __all__ as _datasets_all

__all__ = list(_datasets_all)
