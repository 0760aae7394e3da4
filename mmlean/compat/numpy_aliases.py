"""numpy 2 removed ``np.bool8``, which mmagic 1.2.0 still uses."""
import numpy as np


def apply() -> bool:
    """Restore ``np.bool8`` as an alias of ``np.bool_`` where it is missing.

    Returns whether anything was changed.
    """
    if hasattr(np, 'bool8'):
        return False
    np.bool8 = np.bool_
    return True
