"""numpy 2 removed ``np.bool8``, which mmagic 1.2.0 still uses."""
import warnings

import numpy as np


def _has_bool8(numpy_module) -> bool:
    with warnings.catch_warnings():  # numpy 1.24+ warns that bool8 is deprecated
        warnings.simplefilter('ignore', DeprecationWarning)
        return hasattr(numpy_module, 'bool8')


def apply(numpy_module=np) -> bool:
    """Restore ``np.bool8`` as an alias of ``np.bool_`` where it is missing.

    Returns whether anything was changed.
    """
    if _has_bool8(numpy_module):
        return False
    numpy_module.bool8 = numpy_module.bool_
    return True
