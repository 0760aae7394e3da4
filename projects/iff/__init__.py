"""IFF: inference-aware feature filtering (arXiv 2006.12708) as an MMDetection plug-in.

Importing this package registers :func:`IFFHead` in mmdet's MODELS.
"""
from .head import IFFHead, IFFMixin, check_feedback_cfg, iff_class

__all__ = ['IFFHead', 'IFFMixin', 'iff_class', 'check_feedback_cfg']
