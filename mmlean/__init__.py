"""mmlean: lean and robust vision models on the OpenMMLab stack.

Importing mmlean applies :mod:`mmlean.compat` once (the fixes that make the
2023 OpenMMLab stack run on today's torch and numpy). The core imports only
torch and mmengine; method code lives in ``mmlean.projects.<method>`` and is
loaded by configs through ``custom_imports``.
"""
from . import compat
from .version import __version__, version_info

compat.apply_all()

__all__ = ['__version__', 'version_info', 'compat']
