"""BNAS: Binarized Neural Architecture Search (AAAI 2020 / IJCV) on MMRazor.

Importing this package registers :class:`BNAS` (mmrazor MODELS) and mmlean's
NAS machinery (:mod:`mmlean.nas`: reducible mutables, the sample-evaluate-reduce
mutator, scorers and search loop, binarized DARTS ops).
"""
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
import mmlean.nas  # noqa: F401
from .algorithm import BNAS

__all__ = ['BNAS']
