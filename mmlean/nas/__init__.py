"""Neural architecture search on mmrazor: binarized DARTS ops, networks, genotypes.

Configs load it with ``custom_imports=dict(imports=['mmlean.nas'])``.
"""
from .ops import BinaryDilConv, BinarySepConv, BinarySkipConnect

__all__ = ['BinaryDilConv', 'BinarySepConv', 'BinarySkipConnect']
