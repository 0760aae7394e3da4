"""Let mmrazor 1.0 import on today's torch and find mmpretrain under its old name.

Two problems, both fixed with import hooks installed before mmrazor is first
imported (so nothing in site-packages is edited):

1. ``mmrazor.structures.quantization`` is imported by ``mmrazor.structures``
   (and so by every algorithm) and builds torch-1.13 ``backend_config``
   objects at import time; on torch >= 2.0 this raises and
   ``import mmrazor.models`` fails. mmlean does not use mmrazor's quantizers,
   so that package is replaced by an inert module with the same public names
   whose objects raise a clear error if anyone tries to use them.
2. mmrazor 1.0 imports ``mmcls`` (renamed mmpretrain) behind placeholders, so
   SearchableImageClassifier, DARTS heads, demo inputs, ... silently become
   placeholders. ``mmcls`` and ``mmcls.<sub>`` are served as proxies of the
   corresponding ``mmpretrain`` modules (the same objects, never a second
   import, so no double registration), with the renamed classes
   ``ClsDataSample -> DataSample`` and ``PackClsInputs -> PackInputs``.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import types

import torch

QUANT_PACKAGE = 'mmrazor.structures.quantization'

# module name under mmcls -> {old attribute name: new attribute name}
MMCLS_RENAMES = {
    'mmcls.structures': {'ClsDataSample': 'DataSample'},
    'mmcls.datasets.transforms': {'PackClsInputs': 'PackInputs'},
    'mmcls.datasets.transforms.formatting': {'PackClsInputs': 'PackInputs'},
}


class MmrazorQuantizationDisabled(RuntimeError):
    """mmrazor's quantization backend was made inert by mmlean.compat."""


def _disabled(name):
    def fail(*args, **kwargs):
        raise MmrazorQuantizationDisabled(
            f'mmrazor.structures.quantization.{name}: mmrazor 1.0 quantization '
            f'needs torch 1.13 and is disabled by mmlean.compat on torch '
            f'{torch.__version__} (use mmlean.quant instead)')

    return fail


def _make_inert_quantization_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__doc__ = 'Inert stand-in installed by mmlean.compat.mmrazor_compat.'
    module.__path__ = []  # a package, so submodule imports also land here
    module.BackendConfigs = {}

    class _Inert:
        def __init__(self, *args, **kwargs):
            _disabled(type(self).__name__)()

    for cls_name in ('QConfigHandler', 'QSchemeHandler'):
        setattr(module, cls_name, type(cls_name, (_Inert, ), {}))
    for backend in ('native', 'academic', 'openvino', 'tensorrt'):
        for suffix in ('', '_dict'):
            fn = f'get_{backend}_backend_config{suffix}'
            setattr(module, fn, _disabled(fn))
    module.__all__ = [n for n in vars(module) if not n.startswith('_')]
    return module


class _ProxyModule(types.ModuleType):
    """A module that serves the attributes of ``real`` plus renamed ones."""

    def __init__(self, name, real, renames):
        super().__init__(name)
        self.__path__ = []
        self._real = real
        self._renames = renames
        self.__doc__ = f'Alias of {real.__name__} installed by mmlean.compat.'

    def __getattr__(self, item):
        if item.startswith('__') and item.endswith('__'):
            raise AttributeError(item)
        return getattr(self._real, self._renames.get(item, item))


class _Hooks(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Meta-path hook serving the inert quantization package and mmcls."""

    def __init__(self, inert_quantization: bool, mmcls_alias: bool):
        self.inert_quantization = inert_quantization
        self.mmcls_alias = mmcls_alias

    def _handles(self, fullname):
        if self.inert_quantization and (fullname == QUANT_PACKAGE or
                                        fullname.startswith(QUANT_PACKAGE + '.')):
            return True
        return self.mmcls_alias and (fullname == 'mmcls' or fullname.startswith('mmcls.'))

    def find_spec(self, fullname, path=None, target=None):
        if not self._handles(fullname):
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        if spec.name.startswith('mmcls'):
            real = importlib.import_module('mmpretrain' + spec.name[len('mmcls'):])
            return _ProxyModule(spec.name, real, MMCLS_RENAMES.get(spec.name, {}))
        return _make_inert_quantization_module(spec.name)

    def exec_module(self, module):
        pass


_HOOK = None


def apply() -> bool:
    """Install the hook (once). Returns whether it is active."""
    global _HOOK
    if _HOOK is not None:
        return True
    needs_inert = int(torch.__version__.split('.')[0]) >= 2
    needs_alias = (importlib.util.find_spec('mmcls') is None
                   and importlib.util.find_spec('mmpretrain') is not None)
    if not (needs_inert or needs_alias):
        return False
    if QUANT_PACKAGE in sys.modules:  # already imported (e.g. torch 1.13): keep it
        needs_inert = False
    _HOOK = _Hooks(needs_inert, needs_alias)
    sys.meta_path.insert(0, _HOOK)
    return True
