"""PAMS: quantized super-resolution via parameterized max scale (ECCV 2020) on MMagic.

Importing this package registers :class:`PAMS` (mmagic MODELS),
:class:`RoundedOutputDataPreprocessor` (mmagic MODELS),
:class:`PAMSCalibrationHook` (mmengine HOOKS) and mmlean's quantizers
(:mod:`mmlean.quant`, mmengine MODELS).
"""
import mmrazor.models  # noqa: F401  (registers ATLoss and the recorders)

import mmlean.engine  # noqa: F401
import mmlean.quant  # noqa: F401
from .checkpoint import CheckpointMismatchError, generator_state, load_fp_into
from .hooks import PAMSCalibrationHook
from .model import PAMS
from .official_eval import RoundedOutputDataPreprocessor
from .quantize_arch import (PAMSRDB, PAMSResidualBlock, act_quantizers, quantize_edsr, quantize_rdn,
                            quantize_sr_generator, set_calibrating)

__all__ = [
    'PAMS', 'PAMSCalibrationHook', 'RoundedOutputDataPreprocessor', 'PAMSResidualBlock',
    'PAMSRDB', 'quantize_edsr',
    'quantize_rdn', 'quantize_sr_generator', 'act_quantizers', 'set_calibrating',
    'CheckpointMismatchError', 'generator_state', 'load_fp_into'
]
