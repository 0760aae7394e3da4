"""CP-NAS: Child-Parent Neural Architecture Search for 1-bit CNNs (IJCAI 2020) on MMRazor.

Importing this package registers :class:`CPNAS` (the search) and
:class:`ChildParentTrainer` (training with the CP loss) in mmrazor's MODELS,
with mmlean's NAS machinery (:mod:`mmlean.nas`).
"""
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
import mmlean.nas  # noqa: F401
from .algorithm import CPNAS, with_conv_cfg
from .training import ChildParentTrainer, cp_kernel_loss, kernel_pairs, reconstructed_kernel

__all__ = ['CPNAS', 'ChildParentTrainer', 'cp_kernel_loss', 'kernel_pairs',
           'reconstructed_kernel', 'with_conv_cfg']
