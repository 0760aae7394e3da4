"""Binary networks: sign functions, binarized convs, bi-rotation, deployment.

Shared by RBNN and the binarized NAS methods (BNAS, CP-NAS).
"""
from .conv import BinaryConv2d, RBNNConv2d, XNORConv2d, standardize_per_sample
from .rotation import (bi_rotation, bi_rotation_step, get_ab, random_orthogonal, rotate,
                       rotation_objective)
from .sign import SignSTE, TrainingAwareSign, XNORSign, binary_sign, rbnn_k_t

__all__ = [
    'BinaryConv2d', 'RBNNConv2d', 'XNORConv2d', 'standardize_per_sample',
    'bi_rotation', 'bi_rotation_step', 'get_ab', 'random_orthogonal', 'rotate',
    'rotation_objective', 'SignSTE', 'TrainingAwareSign', 'XNORSign', 'binary_sign',
    'rbnn_k_t'
]

from .deploy import (PackedBinaryConv2d, UnsupportedLayerError, convert_to_deploy,  # noqa: E402
                     load_deploy, save_deploy)

__all__ += ['PackedBinaryConv2d', 'UnsupportedLayerError', 'convert_to_deploy',
            'save_deploy', 'load_deploy']
from .fp_freeze import FrozenFPChain, freeze_fp_chains  # noqa: E402

__all__ += ['FrozenFPChain', 'freeze_fp_chains']
