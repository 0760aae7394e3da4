"""CoGD: cogradient descent for bilinear problems (CVPR 2020) on mmengine.

Importing this package registers :class:`~mmlean.engine.optimizers.CoGD`
(mmengine OPTIMIZERS), its optim-wrapper constructor, and the soft-mask
channel-pruning algorithm :class:`SoftMaskPruning` (mmrazor MODELS) and
:class:`CoGDHook` (mmengine HOOKS).
"""
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
from .csc import ConvSparseCoding, CSCConfig, local_contrast_normalize, skimage_crops
from .hooks import CoGDHook, load_pruned
from .pruning import SoftMaskPruning

__all__ = [
    'ConvSparseCoding', 'CSCConfig', 'local_contrast_normalize', 'skimage_crops', 'SoftMaskPruning',
    'CoGDHook', 'load_pruned'
]
