"""Load ``mmlean._ext``, the compiled ops, the way mmcv loads ``mmcv._ext``.

mmcv's own ``mmcv.utils.ext_loader.load_ext`` hard-codes the ``mmcv.`` package
prefix, so it cannot load another package's extension; this is the same
function for the ``mmlean.`` prefix. Unlike mmcv, a missing extension is not
an error: every op has a pure-PyTorch reference that runs instead.
"""
import importlib
import importlib.util
import logging
import os
from types import ModuleType
from typing import Optional, Sequence

_WARNED = set()


def load_ext(name: str, funcs: Sequence[str]) -> Optional[ModuleType]:
    """Import ``mmlean.<name>`` and check that it provides ``funcs``.

    Returns None when the extension was not built (or when the environment
    variable ``MMLEAN_DISABLE_EXT=1`` asks for the references), so callers
    fall back to their reference implementation.

    Raises:
        ImportError: the extension exists but lacks one of ``funcs``: it was
            built from older sources and must be rebuilt.
    """
    if os.environ.get('MMLEAN_DISABLE_EXT', '0') == '1':
        return None
    try:
        ext = importlib.import_module('mmlean.' + name)
    except ImportError as err:
        if name not in _WARNED:
            _WARNED.add(name)
            from mmengine.logging import print_log
            print_log(
                f'mmlean.{name} is not built ({err}); mmlean ops run their '
                'pure-PyTorch references. Build it with tools/setup_env.sh.',
                logger='current', level=logging.WARNING)
        return None
    missing = [f for f in funcs if not hasattr(ext, f)]
    if missing:
        raise ImportError(
            f'mmlean.{name} lacks {missing}: it was built from older sources; '
            'rebuild it with tools/setup_env.sh (or pip install -e . '
            '--no-build-isolation)')
    return ext


def check_ops_exist() -> bool:
    """Whether ``mmlean._ext`` is importable."""
    return importlib.util.find_spec('mmlean._ext') is not None
