"""Compiled ops of mmlean (``mmlean._ext``) with pure-PyTorch references."""
from .bitpack import (cpu_isa, sign_pack, sign_pack_reference, sign_unpack,
                        sign_unpack_reference)

__all__ = [
    'sign_pack', 'sign_unpack', 'sign_pack_reference', 'sign_unpack_reference',
    'cpu_isa'
]
