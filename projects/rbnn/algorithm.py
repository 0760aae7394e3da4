"""RBNN as an MMRazor algorithm: binarize the convs of any classifier."""
import fnmatch
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.registry import MODELS

from mmlean.binary import BinaryConv2d, RBNNConv2d
from mmlean.utils.algorithm import classifier_defaults

CONV_TYPES = {'RBNNConv2d': RBNNConv2d, 'BinaryConv2d': BinaryConv2d}


def first_conv_name(model: nn.Module) -> Optional[str]:
    """Name of the first ``nn.Conv2d`` in registration order (the stem)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name
    return None


def binarize_convs(model: nn.Module, conv_cfg: dict, keep_fp: Sequence[str] = (),
                   keep_first: bool = True) -> List[str]:
    """Replace ``nn.Conv2d`` modules of ``model`` by binary convs in place.

    Args:
        model (nn.Module): any model.
        conv_cfg (dict): ``type`` ('RBNNConv2d' or 'BinaryConv2d') and the
            keyword arguments of that class.
        keep_fp (Sequence[str]): fnmatch patterns of module names that stay
            full precision (e.g. ``'*downsample*'``).
        keep_first (bool): keep the first conv (the stem) full precision, as
            binary-network papers do. Defaults to True.

    Returns:
        list[str]: names of the replaced convs.
    """
    cfg = dict(conv_cfg)
    conv_type = cfg.pop('type', 'RBNNConv2d')
    if conv_type not in CONV_TYPES:
        raise ValueError(f'conv_cfg.type must be one of {sorted(CONV_TYPES)}, '
                         f'got {conv_type!r}')
    conv_cls = CONV_TYPES[conv_type]
    skip = set()
    if keep_first:
        first = first_conv_name(model)
        if first is not None:
            skip.add(first)
    replaced = []
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Conv2d) or isinstance(module, BinaryConv2d):
            continue
        if name in skip or any(fnmatch.fnmatch(name, p) for p in keep_fp):
            continue
        if module.groups != 1:
            continue  # depthwise / grouped convs stay full precision
        parent_name, _, child = name.rpartition('.')
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, conv_cls.from_conv(module, **cfg))
        replaced.append(name)
    return replaced


@MODELS.register_module()
class RBNN(BaseAlgorithm):
    """`Rotated Binary Neural Network <https://arxiv.org/abs/2009.13055>`_
    (Lin et al., NeurIPS 2020) over any MMPretrain classifier.

    Builds ``architecture`` (any classifier config; mmpretrain scope by
    default) and replaces its convs by :class:`mmlean.binary.RBNNConv2d`
    (1-bit weights and activations, bi-rotation, adjustable rotated weight,
    training-aware sign, learnable scale), keeping the first conv and every
    ``nn.Linear`` full precision as in the paper. Train it with
    :class:`RBNNHook` in ``custom_hooks``: it runs the rotation update at each
    epoch start and sets the (k, t) schedule.

    Args:
        architecture (dict | BaseModel): the classifier to binarize.
        conv_cfg (dict): binary conv type and arguments. Defaults to
            ``dict(type='RBNNConv2d')``; ``dict(type='BinaryConv2d')`` gives
            the plain sign/STE binary twin.
        keep_fp (Sequence[str]): fnmatch patterns of conv names kept full
            precision (e.g. ``['*downsample*']`` for Bi-Real ImageNet ResNets).
        keep_first_conv (bool): keep the stem conv full precision. Defaults
            to True.
        data_preprocessor, init_cfg: as mmrazor's ``BaseAlgorithm``.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 conv_cfg: Optional[dict] = None,
                 keep_fp: Sequence[str] = (), keep_first_conv: bool = True,
                 data_preprocessor=None, init_cfg=None):
        architecture, data_preprocessor = classifier_defaults(architecture,
                                                              data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.conv_cfg = dict(type='RBNNConv2d') if conv_cfg is None else dict(conv_cfg)
        self.binarized = binarize_convs(self.architecture, self.conv_cfg, keep_fp,
                                        keep_first_conv)
        if not self.binarized:
            raise ValueError('RBNN found no conv to binarize in the architecture '
                             f'({type(self.architecture).__name__})')

    def init_weights(self):
        super().init_weights()
        # XNOR/RBNN scale: mean |W_i| of the initialized latent weights
        for module in self.modules():
            if isinstance(module, BinaryConv2d):
                module.reset_scale()
