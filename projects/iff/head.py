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

The loop wraps the head's whole ``forward`` (a tuple of per-level feature
maps in, a tuple of per-level output lists out), so heads whose
``forward_single`` takes extra arguments (scales, strides, per-level
modules) or that have no ``forward_single`` at all are handled alike. The
feedback conv's input width is not computed from the head's settings: at
build time the head runs once on small zero maps and the widths of the maps
it really returns are read off (shape probe; no random numbers are drawn, so
the init stays deterministic and checkpoint keys stay ``iff_conv*``). Heads
whose outputs are not maps aligned with their input levels are refused at
build time with a one-line ``TypeError``.
"""
import copy
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.models.dense_heads import ATSSVLFusionHead, DETRHead
from mmdet.registry import MODELS

FEEDBACK_INPUTS = ('cls', 'cls+reg', 'cls+reg+centerness', 'all')
NUM_OUTPUTS = {'cls': 1, 'cls+reg': 2, 'cls+reg+centerness': 3}
ACTIVATIONS = {'sigmoid': nn.Sigmoid, 'relu': nn.ReLU,
               'leaky_relu': lambda: nn.LeakyReLU(0.01), 'none': nn.Identity}
DEFAULT_FEEDBACK = dict(inputs='cls+reg', act='sigmoid', kernel_size=3, bias=False,
                        init='normal', std=0.01, num_iters=1, detach_first_pass=False)
# Heads whose third output per level is a quality map (centerness, IoU or objectness), named by
# the class that defines their forward / forward_single.
QUALITY_HEADS = ('FCOSHead', 'AutoAssignHead', 'CondInstBboxHead', 'ATSSHead', 'DDODHead',
                 'YOLOXHead')
# mmdet 3.3 heads checked to build, train and predict with IFF (tests/test_projects/test_iff).
SUPPORTED_HEADS = (
    'RetinaHead', 'RetinaSepBNHead', 'FreeAnchorRetinaHead', 'PISARetinaHead', 'FSAFHead',
    'SABLRetinaHead', 'GARetinaHead', 'RPNHead', 'SSDHead', 'FoveaHead', 'FCOSHead',
    'NASFCOSHead', 'AutoAssignHead', 'CenterNetUpdateHead', 'ATSSHead', 'PAAHead', 'LADHead',
    'GFLHead', 'LDHead', 'VFNetHead', 'DDODHead', 'TOODHead', 'RepPointsHead', 'YOLOFHead',
    'YOLOXHead', 'YOLOV3Head', 'RTMDetSepBNHead', 'RTMDetInsSepBNHead', 'CenterNetHead',
    'CornerHead', 'CentripetalHead', 'YOLACTHead', 'CondInstBboxHead', 'BoxInstBboxHead')
# Refused before the probe: the reason is structural, not a shape.
REFUSED = ((DETRHead, 'a transformer query head: its outputs are per query, not maps aligned '
                      'with its input feature levels'),
           (ATSSVLFusionHead, 'its forward fuses language features into the visual ones, so its '
                              'input is not the feature maps alone'))
PROBE_SIZE = 8  # side of the zero maps the head is probed with at build time


def _refuse(name: str, reason: str) -> TypeError:
    return TypeError(f'IFFHead does not support {name}: {reason}. IFF needs a dense head whose '
                     f'outputs are maps aligned with its input levels; supported: '
                     f'{", ".join(SUPPORTED_HEADS)}')


def _forward_owner(cls: type) -> str:
    """Name of the class in ``cls``'s MRO that defines its forward or forward_single."""
    for klass in cls.__mro__:
        if 'forward' in vars(klass) or 'forward_single' in vars(klass):
            return klass.__name__
    return cls.__name__


def check_feedback_cfg(cfg: Dict, base: type) -> Dict:
    """Fill defaults and validate the ``feedback`` settings for head class ``base``."""
    name = base.__name__
    unknown = set(cfg) - set(DEFAULT_FEEDBACK)
    if unknown:
        raise KeyError(f'IFF feedback for {name}: unknown keys {sorted(unknown)}; '
                       f'known: {sorted(DEFAULT_FEEDBACK)}')
    cfg = dict(DEFAULT_FEEDBACK, **cfg)
    if cfg['inputs'] not in FEEDBACK_INPUTS:
        raise ValueError(f"IFF feedback.inputs={cfg['inputs']!r}; "
                         f'expected one of {FEEDBACK_INPUTS}')
    if cfg['inputs'].endswith('centerness') and _forward_owner(base) not in QUALITY_HEADS:
        raise ValueError(f"IFF feedback.inputs='{cfg['inputs']}' needs a head with centerness "
                         f'(or IoU / objectness) as its third output ({", ".join(QUALITY_HEADS)} '
                         f'and their subclasses), got {name}')
    if cfg['act'] not in ACTIVATIONS:
        raise ValueError(f"IFF feedback.act={cfg['act']!r}; expected one of {sorted(ACTIVATIONS)}")
    if cfg['kernel_size'] not in (1, 3, 5):
        raise ValueError(f"IFF feedback.kernel_size={cfg['kernel_size']}; expected 1, 3 or 5")
    if cfg['init'] not in ('normal', 'zero'):
        raise ValueError(f"IFF feedback.init={cfg['init']!r}; expected 'normal' or 'zero'")
    if int(cfg['num_iters']) < 1:
        raise ValueError(f"IFF feedback.num_iters={cfg['num_iters']}; expected >= 1")
    return cfg


def _tensors(obj) -> List[torch.Tensor]:
    """The tensors in one level's entry of an output (SABL nests a tuple; CornerNet gives None)."""
    if obj is None:
        return []
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors(item)]
    raise TypeError(f'a {type(obj).__name__}, not a tensor')


class IFFMixin:
    """Adds the IFF loop to a dense head; put it first in the bases (see :func:`IFFHead`).

    The loop wraps the head's ``forward``. Pass 1 runs the head's own
    training-mode branch even in eval mode (only the head's ``training`` flag
    is set; its layers keep their mode), so the maps fed back mean the same in
    training and testing: FCOS-style heads multiply distances by the stride,
    VFNet and RepPoints return other maps, and guided anchoring masks its
    convs, only in eval mode. The last pass runs in the head's real mode.

    The feedback conv is shared by all levels (as the official code, whose
    heads share their weights across levels) when the head takes one input
    width and returns the same widths on every level; otherwise (SSD, YOLOv3:
    per-level input widths) each level gets its own conv (official SSD variant).
    """

    # ------------------------------------------------------------------ build
    def _init_feedback(self, cfg: Dict) -> None:
        self.iff_cfg = cfg
        in_channels, per_level = self._level_channels()
        widths = self._probe_widths(in_channels)
        k, bias = cfg['kernel_size'], cfg['bias']
        if not per_level and len(set(widths)) == 1:
            self.iff_conv = nn.Conv2d(widths[0], in_channels[0], k, padding=k // 2, bias=bias)
        else:
            self.iff_convs = nn.ModuleList(
                nn.Conv2d(w, c, k, padding=k // 2, bias=bias) for w, c in zip(widths, in_channels))
        self.iff_act = ACTIVATIONS[cfg['act']]()
        self._reset_feedback()

    def _head_name(self) -> str:
        mro = type(self).__mro__
        return mro[mro.index(IFFMixin) + 1].__name__

    def _level_channels(self) -> Tuple[List[int], bool]:
        """Input width of each level the head takes, and whether it sets them per level."""
        channels = getattr(self, 'in_channels', None)
        if channels is None:  # CenterNetHead keeps no in_channels: its first conv's input width
            first = next((m for m in self.modules() if isinstance(m, nn.Conv2d)), None)
            channels = None if first is None else first.in_channels
        if isinstance(channels, Sequence) and not isinstance(channels, str):
            return [int(c) for c in channels], True
        if not isinstance(channels, int):
            raise _refuse(self._head_name(), 'it has no integer in_channels to feed back into')
        generator = getattr(self, 'prior_generator', None)
        if hasattr(generator, 'num_levels'):
            levels = generator.num_levels
        elif hasattr(self, 'num_feat_levels'):
            levels = self.num_feat_levels
        elif getattr(self, 'strides', None) is not None:
            levels = len(self.strides)
        else:
            levels = 1
        return [channels] * levels, False

    @torch.no_grad()
    def _probe_widths(self, channels: List[int]) -> List[int]:
        """Run the head once on zero maps of ``channels``; return the fed-back width per level."""
        name = self._head_name()
        param = next(self.parameters(), None)
        device = param.device if param is not None else torch.device('cpu')
        feats = tuple(torch.zeros(1, c, PROBE_SIZE, PROBE_SIZE, device=device) for c in channels)
        modes = {m: m.training for m in self.modules()}
        self.eval()  # norm layers keep their running statistics; no dropout
        try:
            outs = self._first_pass(feats)
        except Exception as err:  # noqa: BLE001 (any failure means: not a per-level map head)
            msg = str(err).strip().splitlines()[0] if str(err).strip() else ''
            raise _refuse(name, f'its forward does not run on one map per level '
                                f'({type(err).__name__}: {msg})') from err
        finally:
            for m, mode in modes.items():
                m.training = mode
        outs = outs if isinstance(outs, (tuple, list)) else (outs, )
        inputs = self.iff_cfg['inputs']
        used = len(outs) if inputs == 'all' else NUM_OUTPUTS[inputs]
        if len(outs) < used:
            raise ValueError(f"IFF feedback.inputs='{inputs}' takes the first {used} outputs of "
                             f"{name}, which returns {len(outs)} per level: use inputs='all'")
        for i, out in enumerate(outs[:used]):
            problem = self._not_per_level(out, len(feats))
            if problem and i == 0:
                raise _refuse(name, f'its first output {problem}')
            if problem:
                raise ValueError(f"IFF feedback.inputs='{inputs}': output {i} of {name} "
                                 f'{problem}; feed back fewer outputs')
        return [sum(t.shape[1] for t in self._selected(outs, level)) for level in range(len(feats))]

    @staticmethod
    def _not_per_level(out, levels: int) -> str:
        """Why ``out`` is not one map per level aligned with the probe maps ('' if it is)."""
        if not isinstance(out, (tuple, list)) or len(out) != levels:
            return f'is not one entry per input level ({levels})'
        for level, entry in enumerate(out):
            try:
                maps = _tensors(entry)
            except TypeError as err:
                return f'holds {err} at level {level}'
            for t in maps:
                if t.dim() != 4 or tuple(t.shape[2:]) != (PROBE_SIZE, PROBE_SIZE):
                    return (f'is not spatially aligned with its input (level {level}: shape '
                            f'{tuple(t.shape)} for a {PROBE_SIZE}x{PROBE_SIZE} input)')
        return ''

    def _feedback_convs(self) -> List[nn.Conv2d]:
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

    # ---------------------------------------------------------------- forward
    def _first_pass(self, x, *args, **kwargs):
        """The head's forward in its training-mode form (its layers keep their own mode)."""
        if self.training:
            return super().forward(x, *args, **kwargs)
        self.training = True  # the head's own flag only, not its layers'
        try:
            return super().forward(x, *args, **kwargs)
        finally:
            self.training = False

    def _selected(self, outs, level: int) -> List[torch.Tensor]:
        """The pass-1 maps of ``level`` that are fed back, in the head's output order."""
        inputs = self.iff_cfg['inputs']
        used = len(outs) if inputs == 'all' else NUM_OUTPUTS[inputs]
        return [t for out in outs[:used] for t in _tensors(out[level])]

    def _feedback(self, x: torch.Tensor, maps, conv: nn.Conv2d) -> torch.Tensor:
        fb = torch.cat(maps, dim=1)
        if self.iff_cfg['detach_first_pass']:
            fb = fb.detach()
        return x + conv(self.iff_act(fb))

    def _feed_back(self, x, outs) -> tuple:
        outs = outs if isinstance(outs, (tuple, list)) else (outs, )
        convs = self._feedback_convs()
        if len(convs) == 1:
            convs = convs * len(x)
        if len(convs) != len(x):
            raise RuntimeError(f'IFF: {len(x)} input levels, {len(convs)} feedback convs')
        return tuple(self._feedback(feat, self._selected(outs, level), conv)
                     for level, (feat, conv) in enumerate(zip(x, convs)))

    def forward(self, x: Tuple[torch.Tensor], *args, **kwargs):
        outs = self._first_pass(x, *args, **kwargs)
        for it in range(self.iff_cfg['num_iters']):
            x = self._feed_back(x, outs)
            if it + 1 < self.iff_cfg['num_iters']:
                outs = self._first_pass(x, *args, **kwargs)  # fed back again
            else:
                outs = super().forward(x, *args, **kwargs)
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
        feedback (dict): ``inputs`` ('cls' | 'cls+reg' | 'cls+reg+centerness' |
            'all': the first 1, 2 or 3, or all, of the maps the head returns
            per level), ``act`` ('sigmoid' | 'relu' | 'leaky_relu' | 'none'),
            ``kernel_size`` (1, 3, 5), ``bias``, ``init`` ('normal' with
            ``std``, or 'zero': pass 2 then starts equal to the plain head),
            ``num_iters`` (1 in the paper), ``detach_first_pass`` (False in
            the paper).
        **kwargs: what the detector adds (``train_cfg``, ``test_cfg``).

    Raises:
        TypeError: the head is not a dense head whose outputs are maps aligned
            with its input levels (the message names it and the supported heads).
        ValueError, KeyError: a bad ``feedback`` setting (the message names it).
    """
    cfg = copy.deepcopy(dict(head))
    cfg.update(kwargs)
    head_type = cfg.pop('type')
    base = MODELS.get(head_type) if isinstance(head_type, str) else head_type
    if base is None:
        raise KeyError(f'IFFHead: head type {head_type!r} is not registered in mmdet MODELS')
    name = getattr(base, '__name__', repr(head_type))
    if not isinstance(base, type) or not hasattr(base, 'loss_by_feat'):
        raise _refuse(name, 'it is not an mmdet dense head (no loss_by_feat)')
    for refused, reason in REFUSED:
        if issubclass(base, refused):
            raise _refuse(name, reason)
    fb = check_feedback_cfg(dict(feedback or {}), base)
    module = iff_class(base)(**cfg)
    module._init_feedback(fb)
    return module
