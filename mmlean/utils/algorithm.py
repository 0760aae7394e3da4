"""Shared argument handling of mmlean's MMRazor algorithms."""
from typing import Optional, Tuple


def classifier_defaults(architecture, data_preprocessor,
                        scope: str = 'mmpretrain') -> Tuple[object, Optional[dict]]:
    """Default scope of an architecture config and type of a bare preprocessor.

    An ``architecture`` dict without ``_scope_`` is built in ``scope``
    (mmrazor's registry does not know mmpretrain's models). A top-level
    ``data_preprocessor`` of an mmpretrain config (which the Runner passes to
    the algorithm) has no ``type``: it becomes mmpretrain's
    ``ClsDataPreprocessor``.
    """
    if isinstance(architecture, dict):
        architecture = dict(architecture)
        architecture.setdefault('_scope_', scope)
    if isinstance(data_preprocessor, dict):
        data_preprocessor = dict(data_preprocessor)
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        if isinstance(data_preprocessor['type'], str) and '.' not in data_preprocessor['type']:
            data_preprocessor['type'] = f'{scope}.{data_preprocessor["type"]}'
    return architecture, data_preprocessor
