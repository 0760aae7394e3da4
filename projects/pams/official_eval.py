"""Test-time settings of the official PAMS code that mmagic does not have."""
from mmagic.models.data_preprocessors import DataPreprocessor
from mmagic.registry import MODELS


@MODELS.register_module()
class RoundedOutputDataPreprocessor(DataPreprocessor):
    """mmagic's ``DataPreprocessor`` whose destructed images are whole numbers.

    The official PAMS test (built on EDSR-PyTorch, ``utility.quantize``)
    clamps each super-resolved image to [0, 255] and rounds it before PSNR and
    SSIM, as a saved PNG would be; mmagic clamps but keeps the fractions.
    The ``*_official-eval`` configs use this so that released models give
    the official numbers.
    """

    def destruct(self, outputs, data_samples=None, key='img'):
        return super().destruct(outputs, data_samples, key).round_()
