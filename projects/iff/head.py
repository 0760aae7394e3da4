"""Inference-aware feature filtering (IFF, Mao et al., arXiv 2006.12708) for mmdet dense heads.

The head runs once; its outputs pass an activation and a small feedback
convolution and are added to the head's input; the head runs again with the
same weights, and only the second pass feeds the loss and the predictions
(official iffDetector code, iff-heads/FoveaBox/fovea_head.py and
iff-heads/FreeAnchor-ResNeXt101/retinanet.py):

    x' = x + Conv_back(phi(concat(outputs_1)))      outputs_2 = H(x')

The loop is added to an existing mmdet head class by subclassing it with
:class:`IFFMixin` at build time, so no head is copied: ``loss_by_feat`` and
``predict_by_feat`` are the base head's and see the pass-2 outputs.
"""
import copy
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmdet.models.dense_heads import FCOSHead, SSDHead
from mmdet.registry import MODELS

FEEDBACK_INPUTS = ('cls', 'cls+reg', 'cls+reg+centerness')
ACTIVATIONS = {'sigmoid': nn.Sigmoid, 'relu': nn.ReLU,
               'leaky_relu': lambda: nn.LeakyReLU(0.01), 'none': nn.Identity}
DEFAULT_FEEDBACK = dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False,
                        init='normal', std=0.01, num_iters=1, detach_first_pass=False)


def check_feedback_cfg(cfg: Dict, head_type: str) -> Dict:
    """Fill defaults and validate the ``feedback`` settings, naming the bad field."""
    unknown = set(cfg) - set(DEFAULT_FEEDBACK)
    if unknown:
        raise KeyError(f'IFF feedback for {head_type}: unknown keys {sorted(unknown)}; '
                       f'known: {sorted(DEFAULT_FEEDBACK)}')
    cfg = dict(DEFAULT_FEEDBACK, **cfg)
    if cfg['inputs'] not in FEEDBACK_INPUTS:
        raise ValueError(f"IFF feedback.inputs={cfg['inputs']!r}; expected one of {FEEDBACK_INPUTS}")
    if cfg['inputs'].endswith('centerness') and head_type != 'FCOSHead':
        raise ValueError(f"IFF feedback.inputs='{cfg['inputs']}' needs a head with centerness "
                         f'(FCOSHead), got {head_type}')
    if cfg['act'] not in ACTIVATIONS:
        raise ValueError(f"IFF feedback.act={cfg['act']!r}; expected one of {sorted(ACTIVATIONS)}")
    if cfg['kernel_size'] not in (1, 3, 5):
        raise ValueError(f"IFF feedback.kernel_size={cfg['kernel_size']}; expected 1, 3 or 5")
    if cfg['init'] not in ('normal', 'zero'):
        raise ValueError(f"IFF feedback.init={cfg['init']!r}; expected 'normal' or 'zero'")
    if int(cfg['num_iters']) < 1:
        raise ValueError(f"IFF feedback.num_iters={cfg['num_iters']}; expected >= 1")
    return cfg


class IFFMixin:
    """Adds the IFF loop to a dense head; put it first in the bases (see :func:`IFFHead`).

    Heads whose ``forward`` maps ``forward_single`` over the levels (RetinaHead,
    FreeAnchorRetinaHead, FoveaHead, FCOSHead, ...) share one feedback conv
    across levels, as the official code does. SSDHead, whose levels differ
    in width and anchor count, gets one 1x1-style conv per level (official
    SSD variant) and the loop around its whole ``forward``.
    """

    def _init_feedback(self, cfg: Dict) -> None:
        self.iff_cfg = cfg
        k, bias = cfg['kernel_size'], cfg['bias']
        if isinstance(self, SSDHead):
            widths = [self._feedback_channels(a) for a in self.num_base_priors]
            self.iff_convs = nn.ModuleList(
                nn.Conv2d(w, c, k, padding=k // 2, bias=bias)
                for w, c in zip(widths, self.in_channels))
        else:
            priors = getattr(self, 'num_base_priors', 1)
            self.iff_conv = nn.Conv2d(self._feedback_channels(priors), self.in_channels, k,
                                      padding=k // 2, bias=bias)
        self.iff_act = ACTIVATIONS[cfg['act']]()
        self._reset_feedback()

    def _feedback_channels(self, priors: int) -> int:
        channels = priors * self.cls_out_channels
        if 'reg' in self.iff_cfg['inputs']:
            channels += priors * getattr(self.bbox_coder, 'encode_size', 4)
        if self.iff_cfg['inputs'].endswith('centerness'):
            channels += 1
        return channels

    def _feedback_convs(self):
        return list(self.iff_convs) if hasattr(self, 'iff_convs') else [self.iff_conv]

    @torch.no_grad()
    def _reset_feedback(self) -> None:
        for conv in self._feedback_convs():
            if self.iff_cfg['init'] == 'zero':
                nn.init.zeros_(conv.weight)
            else:
                nn.init.normal_(conv.weight, std=self.iff_cfg['std'])
            if conv.bias is not None:
                nn.init.zeros_(conv.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._reset_feedback()  # the head's init_cfg must not decide the feedback's init

    def _feedback(self, x: torch.Tensor, maps, conv: nn.Conv2d) -> torch.Tensor:
        fb = torch.cat(maps, dim=1)
        if self.iff_cfg['detach_first_pass']:
            fb = fb.detach()
        return x + conv(self.iff_act(fb))

    def _selected(self, outs, stride=None):
        """The pass-1 outputs fed back, in a form that is the same in training and testing."""
        maps = [outs[0]]
        if 'reg' in self.iff_cfg['inputs']:
            reg = outs[1]
            if isinstance(self, FCOSHead) and self.norm_on_bbox and not self.training:
                reg = reg / stride  # FCOS scales distances by the stride only at test time
            maps.append(reg)
        if self.iff_cfg['inputs'].endswith('centerness'):
            maps.append(outs[2])
        return maps

    def forward_single(self, x, *args):
        stride = args[1] if isinstance(self, FCOSHead) else None
        outs = super().forward_single(x, *args)
        for _ in range(self.iff_cfg['num_iters']):
            x = self._feedback(x, self._selected(outs, stride), self.iff_conv)
            outs = super().forward_single(x, *args)
        return outs

    def forward(self, x: Tuple[torch.Tensor], *args):
        if not isinstance(self, SSDHead):
            return super().forward(x, *args)
        outs = super().forward(x)
        for _ in range(self.iff_cfg['num_iters']):
            x = tuple(
                self._feedback(feat, self._selected((cls, reg)), conv)
                for feat, cls, reg, conv in zip(x, outs[0], outs[1], self.iff_convs))
            outs = super().forward(x)
        return outs


_SUBCLASSES = {}


def iff_class(base: type) -> type:
    """``IFF<Base>``: the head class ``base`` with the IFF loop (cached per base)."""
    if base not in _SUBCLASSES:
        _SUBCLASSES[base] = type(f'IFF{base.__name__}', (IFFMixin, base),
                                 {'__module__': __name__, '__doc__': f'{base.__name__} with IFF.'})
    return _SUBCLASSES[base]


@MODELS.register_module()
def IFFHead(head: Dict, feedback: Dict = None, **kwargs):  # noqa: N802 (a type name in configs)
    """Build the mmdet dense head ``head`` with the IFF feedback loop.

    Args:
        head (dict): the head's own config (e.g. ``{{_base_.model.bbox_head}}``).
        feedback (dict): ``inputs`` ('cls' | 'cls+reg' | 'cls+reg+centerness'),
            ``act`` ('sigmoid' | 'relu' | 'leaky_relu' | 'none'), ``kernel_size``
            (1, 3, 5), ``bias``, ``init`` ('normal' with ``std``, or 'zero':
            pass 2 then starts equal to the plain head), ``num_iters`` (1 in
            the paper), ``detach_first_pass`` (False in the paper).
        **kwargs: what the detector adds (``train_cfg``, ``test_cfg``).
    """
    cfg = copy.deepcopy(dict(head))
    cfg.update(kwargs)
    head_type = cfg.pop('type')
    base = MODELS.get(head_type) if isinstance(head_type, str) else head_type
    if base is None:
        raise KeyError(f'IFFHead: head type {head_type!r} is not registered in mmdet MODELS')
    if not isinstance(base, type) or not hasattr(base, 'loss_by_feat'):
        raise TypeError(f'IFFHead wraps mmdet dense heads; {head_type!r} is not one')
    if not (isinstance(base, type) and issubclass(base, SSDHead)) and \
            'forward_single' not in dir(base):
        raise TypeError(f'IFFHead: {base.__name__} has no forward_single to loop over')
    fb = check_feedback_cfg(dict(feedback or {}), base.__name__)
    module = iff_class(base)(**cfg)
    module._init_feedback(fb)
    return module
