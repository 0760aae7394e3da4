"""Import a Python file by its path: the scripts under ``tools/`` are not a package."""
import importlib.util
import os.path as osp
from types import ModuleType
from typing import Optional


def load_script(path: str, name: Optional[str] = None) -> ModuleType:
    """Execute the Python file at ``path`` as a fresh module and return it.

    Args:
        path (str): the file (e.g. ``tools/analysis_tools/evidence.py``).
        name (str, optional): the module's ``__name__``. Defaults to the file's
            stem. The module is not added to ``sys.modules``.

    Raises:
        FileNotFoundError: naming ``path`` when there is no such file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'no Python file at {path}')
    spec = importlib.util.spec_from_file_location(
        name or osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
