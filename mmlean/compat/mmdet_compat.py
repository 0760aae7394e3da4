"""Let mmdet 3.3's SSD heads predict (validation, test, inference).

``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` (for
``custom_cls_channels``), but ``SSDHead`` skips ``AnchorHead.__init__`` and
never sets it: every SSD validation or test ends in ``AttributeError: 'SSDHead'
object has no attribute 'loss_cls'`` (open-mmlab/mmdetection#11780, fix proposed
in #11524, not released). SSD computes its classification loss inline, so the
attribute is given as ``None``: ``getattr(None, 'custom_cls_channels', False)``
is False and the softmax scores follow, as before the regression. Applied when
``mmdet.models.dense_heads.ssd_head`` is imported (mmdet is not imported for it);
a release whose SSDHead has the attribute is left alone.
"""
import importlib.abc
import importlib.machinery
import sys

SSD_MODULE = 'mmdet.models.dense_heads.ssd_head'


def _patch(module) -> bool:
    head = getattr(module, 'SSDHead', None)
    if head is None or 'loss_cls' in vars(head) or hasattr(head, 'loss_cls'):
        return False
    head.loss_cls = None
    return True


class _PatchingLoader(importlib.abc.Loader):

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch(module)


class _Hook(importlib.abc.MetaPathFinder):

    def find_spec(self, fullname, path=None, target=None):
        if fullname != SSD_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)
        return spec


_HOOK = None


def apply() -> bool:
    """Patch SSDHead now if mmdet's SSD module is loaded, else when it is."""
    global _HOOK
    if SSD_MODULE in sys.modules:
        return _patch(sys.modules[SSD_MODULE])
    if _HOOK is None:
        _HOOK = _Hook()
        sys.meta_path.insert(0, _HOOK)
    return True
