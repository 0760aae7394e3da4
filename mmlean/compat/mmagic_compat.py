"""Let ``mmagic.datasets.transforms`` import without the optional albumentations.

mmagic 1.2 lists albumentations as optional, but
``mmagic.datasets.transforms.albu_function`` imports it unconditionally and
is imported by the package ``__init__``, so every mmagic dataset pipeline
(LoadImageFromFile, PairedRandomCrop, ...) fails to register without it.
Where albumentations is missing, that one module is served by a stand-in
whose two transforms (registered under their names) raise a clear error
when a config uses them. Where albumentations is installed, nothing changes.
"""
import importlib.abc
import importlib.util
import sys
import types

ALBU_MODULE = 'mmagic.datasets.transforms.albu_function'
ALBU_TRANSFORMS = ('PairedAlbuTransForms', 'AlbuCorruptFunction')


class AlbumentationsMissing(ImportError):
    """An mmagic albumentations transform was used without albumentations."""


def _make_stand_in(name: str) -> types.ModuleType:
    from mmagic.registry import TRANSFORMS
    from mmcv.transforms import BaseTransform

    module = types.ModuleType(name)
    module.__doc__ = 'Stand-in installed by mmlean.compat.mmagic_compat.'

    def __init__(self, *args, **kwargs):
        raise AlbumentationsMissing(
            f'mmagic transform {type(self).__name__} needs albumentations, which is not '
            'installed (pip install albumentations)')

    for cls_name in ALBU_TRANSFORMS:
        cls = type(cls_name, (BaseTransform, ), {'__init__': __init__, 'transform': None,
                                                 '__module__': name})
        TRANSFORMS.register_module(module=cls)
        setattr(module, cls_name, cls)
    module.__all__ = list(ALBU_TRANSFORMS)
    return module


class _Hook(importlib.abc.MetaPathFinder, importlib.abc.Loader):

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALBU_MODULE:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return _make_stand_in(spec.name)

    def exec_module(self, module):
        pass


_HOOK = None


def apply() -> bool:
    """Install the hook (once) where albumentations is missing."""
    global _HOOK
    if _HOOK is not None:
        return True
    if importlib.util.find_spec('albumentations') is not None or ALBU_MODULE in sys.modules:
        return False
    _HOOK = _Hook()
    sys.meta_path.insert(0, _HOOK)
    return True
