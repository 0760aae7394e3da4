"""Make the 2023 OpenMMLab stack run on today's torch and numpy.

Applied once, when ``mmlean`` is imported (:func:`apply_all`). Every fix is
guarded: it does nothing where it is not needed, and applying twice is a
no-op. The fixes:

* :mod:`.mmrazor_compat` -- ``import mmrazor.models`` on torch >= 2.0 (its
  torch-1.13 quantization backend is made inert; mmlean does not use it) and
  an ``mmcls`` alias serving mmpretrain under the old names.
* :mod:`.mmagic_compat` -- mmagic's dataset transforms import without the
  optional albumentations.
* :mod:`.mmdet_compat` -- mmdet 3.3's SSD heads predict (their missing
  ``loss_cls``).
* :mod:`.checkpoint` -- mmengine checkpoints load with
  ``torch.load(weights_only=True)`` and an explicit allow-list.
* :mod:`.atomic_write` -- checkpoints are written atomically.
* :mod:`.distributed` -- ``--launcher pytorch`` on machines without CUDA.
* :mod:`.numpy_aliases` -- ``np.bool8`` on numpy 2.
"""
from . import (atomic_write, checkpoint, distributed, mmagic_compat, mmdet_compat, mmrazor_compat,
               numpy_aliases)

_APPLIED = {}


def apply_all() -> dict:
    """Apply every fix once; returns {fix name: whether it changed anything}."""
    if _APPLIED:
        return dict(_APPLIED)
    for name, module in (('numpy_aliases', numpy_aliases),
                         ('mmrazor', mmrazor_compat),
                         ('mmagic', mmagic_compat),
                         ('mmdet', mmdet_compat),
                         ('checkpoint', checkpoint),
                         ('atomic_write', atomic_write),
                         ('distributed', distributed)):
        _APPLIED[name] = bool(module.apply())
    return dict(_APPLIED)


def applied() -> dict:
    """What :func:`apply_all` did in this process."""
    return dict(_APPLIED)
