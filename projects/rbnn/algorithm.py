"""RBNN as an MMRazor algorithm: binarize the convs of any classifier."""
import fnmatch
import inspect
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.registry import MODELS as ROOT_MODELS
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.registry import MODELS

from mmlean.binary import BinaryConv2d
from mmlean.utils.algorithm import classifier_defaults


def first_conv_name(model: nn.Module) -> Optional[str]:
    """Name of the first ``nn.Conv2d`` in registration order (the stem)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name
    return None


def binary_conv_class(conv_type) -> type:
    """The :class:`BinaryConv2d` subclass named by ``conv_cfg.type``.

    Looked up in mmengine's root ``MODELS`` registry (where mmlean's binary
    convs register), so any registered binary conv works; a class is accepted
    as is.

    Raises:
        ValueError: the type is not registered or is not a binary conv.
    """
    if inspect.isclass(conv_type):
        conv_cls = conv_type
    elif isinstance(conv_type, str):
        try:
            conv_cls = ROOT_MODELS.get(conv_type)
        except RuntimeError:  # mmengine's last resort, an import path, failed too
            conv_cls = None
    else:
        raise ValueError(f'conv_cfg.type must be a registered name or a class, '
                         f'got {conv_type!r}')
    if conv_cls is None:
        raise ValueError(f'conv_cfg.type={conv_type!r} is not registered in the MODELS '
                         'registry (binary convs: BinaryConv2d, RBNNConv2d, XNORConv2d)')
    if not (inspect.isclass(conv_cls) and issubclass(conv_cls, BinaryConv2d)):
        raise ValueError(f'conv_cfg.type={conv_type!r} is {conv_cls!r}, not a binary conv '
                         f'(a subclass of mmlean.binary.BinaryConv2d)')
    return conv_cls


def _abbreviate(names: Sequence[str], head: int = 3) -> str:
    if len(names) <= head + 1:
        return ', '.join(names)
    return ', '.join(names[:head]) + f', ... +{len(names) - head} more'


def binarize_convs(model: nn.Module, conv_cfg: dict, keep_fp: Sequence[str] = (),
                   keep_first: bool = True, binarize_grouped: bool = False,
                   log_prefix: Optional[str] = 'RBNN') -> List[str]:
    """Replace ``nn.Conv2d`` modules of ``model`` by binary convs in place.

    The binary conv class is ``conv_cfg.type`` from the registry
    (:func:`binary_conv_class`); each replacement is built with the replaced
    conv's shape, stride, padding, dilation, groups and latent weights
    (``conv_cls.from_conv``). Which convs stayed full precision, and why, is
    logged once (mmengine's current logger) unless ``log_prefix`` is None.

    Args:
        model (nn.Module): any model.
        conv_cfg (dict): ``type`` (a registered binary conv, e.g.
            'RBNNConv2d', 'BinaryConv2d', 'XNORConv2d'; default 'RBNNConv2d')
            and the keyword arguments of that class.
        keep_fp (Sequence[str]): fnmatch patterns of module names that stay
            full precision (e.g. ``'*downsample*'``).
        keep_first (bool): keep the first conv (the stem) full precision, as
            binary-network papers do. Defaults to True.
        binarize_grouped (bool): binarize grouped/depthwise convs too. Defaults
            to False (they stay full precision; RBNN binarizes standard convs).
        log_prefix (str, optional): the log line's prefix; None: no log.

    Returns:
        list[str]: names of the replaced convs.
    """
    cfg = dict(conv_cfg)
    conv_cls = binary_conv_class(cfg.pop('type', 'RBNNConv2d'))
    first = first_conv_name(model) if keep_first else None
    replaced = []
    kept = {'grouped/depthwise': [], 'first conv': [], 'matched keep_fp': []}
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Conv2d) or isinstance(module, BinaryConv2d):
            continue
        if name == first:
            kept['first conv'].append(name)
            continue
        if any(fnmatch.fnmatch(name, p) for p in keep_fp):
            kept['matched keep_fp'].append(name)
            continue
        if module.groups != 1 and not binarize_grouped:
            kept['grouped/depthwise'].append(name)
            continue
        parent_name, _, child = name.rpartition('.')
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, conv_cls.from_conv(module, **cfg))
        replaced.append(name)
    if log_prefix is not None:
        n_kept = sum(len(v) for v in kept.values())
        msg = (f'{log_prefix}: {len(replaced)} convs binarized ({conv_cls.__name__}); '
               f'{n_kept} kept full precision')
        parts = [f'{len(v)} {why} ({_abbreviate(v)})' for why, v in kept.items() if v]
        if parts:
            msg += ': ' + ', '.join(parts)
        if kept['grouped/depthwise']:
            msg += '; binarize_grouped=True binarizes grouped convs too'
        print_log(msg, logger='current')
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
        conv_cfg (dict): binary conv type (any binary conv registered in
            mmengine's ``MODELS``) and arguments. Defaults to
            ``dict(type='RBNNConv2d')``; ``dict(type='BinaryConv2d')`` gives
            the plain sign/STE binary twin.
        keep_fp (Sequence[str]): fnmatch patterns of conv names kept full
            precision (e.g. ``['*downsample*']`` for Bi-Real ImageNet ResNets).
        keep_first_conv (bool): keep the stem conv full precision. Defaults
            to True.
        binarize_grouped (bool): binarize grouped/depthwise convs too.
            Defaults to False: they stay full precision, as the paper
            binarizes standard convs (the log lists them).
        data_preprocessor, init_cfg: as mmrazor's ``BaseAlgorithm``.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 conv_cfg: Optional[dict] = None,
                 keep_fp: Sequence[str] = (), keep_first_conv: bool = True,
                 binarize_grouped: bool = False,
                 data_preprocessor=None, init_cfg=None):
        architecture, data_preprocessor = classifier_defaults(architecture,
                                                              data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.conv_cfg = dict(type='RBNNConv2d') if conv_cfg is None else dict(conv_cfg)
        self.binarized = binarize_convs(self.architecture, self.conv_cfg, keep_fp,
                                        keep_first_conv, binarize_grouped)
        if not self.binarized:
            raise ValueError('RBNN found no conv to binarize in the architecture '
                             f'({type(self.architecture).__name__})')

    def init_weights(self):
        super().init_weights()
        # XNOR/RBNN scale: mean |W_i| of the initialized latent weights
        for module in self.modules():
            if isinstance(module, BinaryConv2d):
                module.reset_scale()
