"""Activations binary networks use that mmcv does not register."""
import torch.nn as nn
from mmengine.registry import MODELS

# Hardtanh (clip to [-1, 1]) is the non-linearity of RBNN/IR-Net/Bi-Real.
if MODELS.get('Hardtanh') is None:
    MODELS.register_module(module=nn.Hardtanh)
