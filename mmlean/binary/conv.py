"""Binarized convolutions for training (float simulation of +-1 arithmetic).

:class:`BinaryConv2d` is the plain binary conv (sign + clipped STE, learnable
per-channel scale). :class:`RBNNConv2d` adds RBNN's weight standardization,
bi-rotation with the adjustable angle and the training-aware sign.
:class:`XNORConv2d` is BNAS's XNOR conv (one scalar alpha per layer). All keep
``weight`` as the latent full-precision weight, so a trained ``nn.Conv2d``
state dict loads into them, and all expose :meth:`~BinaryConv2d.binary_weight`,
:meth:`~BinaryConv2d.activation_threshold` and
:meth:`~BinaryConv2d.output_scale`, which is all the bit-packed deploy engine
(:mod:`mmlean.binary.deploy`) needs: in every class the forward pass is
``conv(sign(x - thr), binary_weight()) * output_scale() + bias`` (groups and
dilation as the conv's).

The three classes are registered in mmengine's root ``MODELS`` registry, so
``dict(type='XNORConv2d', ...)`` builds them from any OpenMMLab scope
(``MODELS.build``, mmcv's ``build_conv_layer``, mmrazor op configs).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import MODELS

from .rotation import bi_rotation, get_ab, random_orthogonal, rotate
from .sign import SignSTE, TrainingAwareSign, XNORSign, binary_sign


def standardize_per_sample(x: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """``(x - mean) / std`` per sample over all non-batch dims (RBNN §2.6)."""
    dims = tuple(range(1, x.dim()))
    centered = x - x.mean(dims, keepdim=True)
    return centered / (centered.std(dims, keepdim=True) + eps)


@MODELS.register_module()
class BinaryConv2d(nn.Conv2d):
    """A 1-bit conv: ``out = conv(sign(a), sign(w)) * scale``.

    Activations are binarized after per-sample standardization (their sign is
    ``sign(a - mean(a))``), weights by sign; both backward through the clipped
    straight-through estimator. ``scale`` is a learnable per-output-channel
    factor initialized to ``mean(|W_i|)`` (XNOR-Net's alpha, arXiv 1603.05279
    §3.1, learned as in RBNN). ``binary_activation=False`` gives a
    1-bit-weight, FP-activation (W1A32) layer. Grouped (incl. depthwise) and
    dilated convs binarize each filter of ``in_channels // groups`` channels.

    Args:
        *args, **kwargs: as ``nn.Conv2d``; ``padding_mode`` must be 'zeros'.
        binary_activation (bool): binarize the input. Defaults to True.
        standardize_activation (bool): subtract the per-sample mean before the
            sign. Defaults to True.
    """

    #: whether the layer has the learnable per-channel ``scale`` parameter
    learnable_scale = True

    def __init__(self, *args, binary_activation: bool = True,
                 standardize_activation: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if self.padding_mode != 'zeros':
            raise ValueError(f'{type(self).__name__} supports zero padding only, '
                             f'got padding_mode={self.padding_mode!r}')
        self.binary_activation = binary_activation
        self.standardize_activation = standardize_activation
        if self.learnable_scale:
            self.scale = nn.Parameter(torch.empty(self.out_channels, 1, 1))
        else:
            self.register_parameter('scale', None)
        self.reset_scale()

    @torch.no_grad()
    def reset_scale(self) -> None:
        """Set ``scale`` to ``mean(|W_i|)`` per output channel (its init)."""
        if self.scale is not None:
            self.scale.copy_(self.weight.abs().mean(dim=(1, 2, 3)).view(-1, 1, 1))

    @torch.no_grad()
    def output_scale(self) -> torch.Tensor:
        """The (Cout,) float factor of the integer +-1 conv sums in the forward.

        ``forward(x) = conv(sign(x - thr), binary_weight()) * output_scale()
        + bias``; here the learnable ``scale``. Detached.
        """
        return self.scale.detach().reshape(-1)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, **kwargs) -> 'BinaryConv2d':
        """A binary conv with the shape, stride, padding and latent weights of ``conv``."""
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size,
                  stride=conv.stride, padding=conv.padding,
                  dilation=conv.dilation, groups=conv.groups,
                  bias=conv.bias is not None, padding_mode=conv.padding_mode,
                  **kwargs).to(conv.weight.device)
        with torch.no_grad():
            new.weight.copy_(conv.weight)
            if conv.bias is not None:
                new.bias.copy_(conv.bias)
        new.reset_scale()
        return new

    # --- weights -----------------------------------------------------------
    def effective_weight(self) -> torch.Tensor:
        """The real-valued weight whose sign is taken (before the sign)."""
        return self.weight

    def binarize_weight(self, w: torch.Tensor) -> torch.Tensor:
        return SignSTE.apply(w)

    @torch.no_grad()
    def binary_weight(self) -> torch.Tensor:
        """The +-1 weight used in the forward pass (for deployment)."""
        return binary_sign(self.effective_weight())

    # --- activations ---------------------------------------------------------
    def prepare_activation(self, x: torch.Tensor) -> torch.Tensor:
        return standardize_per_sample(x) if self.standardize_activation else x

    def binarize_activation(self, x: torch.Tensor) -> torch.Tensor:
        return SignSTE.apply(x)

    @torch.no_grad()
    def activation_threshold(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample threshold: the input packs as -1 exactly where ``x < thr``.

        ``sign((x - m) / s) = sign(x - m)`` for ``s > 0``, so standardization
        reduces to comparing with the per-sample mean ``m``.
        """
        if not self.standardize_activation:
            return x.new_zeros(x.shape[0])
        return x.mean(dim=tuple(range(1, x.dim())))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.binarize_weight(self.effective_weight())
        if self.binary_activation:
            x = self.binarize_activation(self.prepare_activation(x))
        out = F.conv2d(x, w, None, self.stride, self.padding, self.dilation, self.groups)
        if self.scale is not None:
            out = out * self.scale
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out

    def extra_repr(self) -> str:
        return (super().extra_repr() +
                f', binary_activation={self.binary_activation}')


@MODELS.register_module()
class RBNNConv2d(BinaryConv2d):
    """The rotated binary conv of `RBNN <https://arxiv.org/abs/2009.13055>`_.

    Forward (official code, paper Eq. 3-9):

    * ``w2`` = per-filter standardized weight (mean 0, unbiased std 1);
    * ``X_i`` = filter i as an ``n1 x n2`` matrix (:func:`get_ab` of the
      filter size ``n = in_channels // groups * kh * kw``), rotated by
      the layer's (R1, R2): ``Rw_i = R1^T X_i R2`` (buffers, fixed during an
      epoch, updated by :meth:`update_rotation` at each epoch start);
    * adjustable rotated weight ``w3 = w2 + |sin(theta)| (Rw.detach() - w2)``
      with a learnable per-channel angle ``theta`` (init U(0, pi/2) as in the
      official code; weight decay applies to it as to every parameter);
    * ``bw = sign(w3)`` with the training-aware backward
      ``k max(0, sqrt(2) t - t^2 |x|)`` (:class:`TrainingAwareSign`);
    * activations: per-sample standardization, sign with ``k = 1`` and
      ``t = max(t, 1)``;
    * ``out = conv(ba, bw) * scale`` with a learnable per-channel scale.

    ``k`` and ``t`` are plain attributes set every epoch by
    ``mmlean.projects.rbnn.RBNNHook``; they start at the schedule's epoch-0
    values (k=100, t=0.01).

    Grouped and depthwise convs (not in the paper, which binarizes standard
    convs) rotate each filter of ``in_channels // groups`` channels; one
    (R1, R2) pair is shared by all ``Cout`` filters of the layer, as for a
    standard conv. A filter needs at least 2 weights (a 1x1 depthwise conv
    cannot be standardized).

    Args:
        *args, **kwargs: as :class:`BinaryConv2d`.
        rotation (bool): learn the bi-rotation. Defaults to True.
        rotation_iterations (int): alternating steps per update. Defaults to 3.
        seed (int, optional): seed of the random orthogonal initialization.
    """

    def __init__(self, *args, rotation: bool = True, rotation_iterations: int = 3,
                 seed: int = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rotation = rotation
        self.rotation_iterations = rotation_iterations
        n = self.weight[0].numel()  # one filter: in_channels // groups * kh * kw
        if n < 2:
            raise ValueError(f'{type(self).__name__} standardizes each filter, which '
                             f'needs at least 2 weights; got filters of {n} '
                             f'(in_channels // groups = {self.in_channels // self.groups}, '
                             f'kernel_size={self.kernel_size})')
        self.n1, self.n2 = get_ab(n)
        generator = None
        if seed is not None:
            generator = torch.Generator().manual_seed(seed)
        self.register_buffer('R1', random_orthogonal(self.n1, generator))
        self.register_buffer('R2', random_orthogonal(self.n2, generator))
        # theta ~ U(0, pi/2), as the official code of 2020-05-11; its HEAD starts at
        # exactly pi/2, where the latent weights get no gradient ((1 - |sin theta|) = 0):
        # a deliberate deviation, see projects/rbnn/README.md
        self.rotate_angle = nn.Parameter(
            torch.rand(self.out_channels, 1, 1, 1, generator=generator) * (math.pi / 2))
        self.k, self.t = 100.0, 0.01

    def standardized_weight(self) -> torch.Tensor:
        w = self.weight
        w = w - w.mean(dim=(1, 2, 3), keepdim=True)
        return w / w.std(dim=(1, 2, 3), keepdim=True)

    def rotated_weight(self, w2: torch.Tensor = None) -> torch.Tensor:
        """``R1^T X_i R2`` of the standardized weight, in the weight's shape."""
        if w2 is None:
            w2 = self.standardized_weight()
        x = w2.reshape(self.out_channels, self.n1, self.n2)
        return rotate(x, self.R1, self.R2).reshape_as(w2)

    def effective_weight(self) -> torch.Tensor:
        w2 = self.standardized_weight()
        if not self.rotation:
            return w2
        delta = self.rotated_weight(w2).detach() - w2
        return w2 + self.rotate_angle.sin().abs() * delta

    def binarize_weight(self, w):
        return TrainingAwareSign.apply(w, self.k, self.t)

    def binarize_activation(self, x):
        return TrainingAwareSign.apply(x, 1.0, max(self.t, 1.0))

    @torch.no_grad()
    def update_rotation(self) -> None:
        """Warm-started alternating optimization of (R1, R2) on the current weights."""
        if not self.rotation:
            return
        x = self.standardized_weight().reshape(self.out_channels, self.n1, self.n2)
        r1, r2 = bi_rotation(x, self.R1, self.R2, self.rotation_iterations)
        self.R1.copy_(r1)
        self.R2.copy_(r2)

    def extra_repr(self) -> str:
        return (super().extra_repr() + f', rotation={self.rotation} '
                f'(n1={self.n1}, n2={self.n2})')


@MODELS.register_module()
class XNORConv2d(BinaryConv2d):
    """The XNOR conv of BNAS: one scalar alpha, ``W_b = alpha * sign(W)``.

    BNAS (Chen et al., "Binarized Neural Architecture Search", AAAI 2020,
    arXiv 1911.10862; IJCV extension "Binarized Neural Architecture Search
    for Efficient Object Recognition", arXiv 2009.04247) trains its searched
    cells with an XNOR-Net-style binarization (Rastegari et al., arXiv
    1603.05279). The official code (github.com/bczhangbczhang/BNAS,
    ``module/Conv_XNOR.py``: ``Sigh_XNOR`` / ``Conv_XNOR``) defines it, and this
    class follows that code rather than XNOR-Net:

    * ``alpha = mean(|W|)`` over the whole weight tensor, a single scalar per
      layer (XNOR-Net uses one per output filter); no learnable scale;
    * forward ``conv(x, alpha * sign(W)) + bias``, i.e.
      ``conv(x, sign(W)) * alpha + bias``;
    * backward through :class:`~mmlean.binary.sign.XNORSign`, the official
      custom gradient ``dL/dW = g / numel(W) + alpha * g * 1_{|W| <= 1}``
      with ``g = dL/dW_b`` (as the official ``Sigh_XNOR.backward``; not the
      exact derivative of the forward).

    Modes:

    * W1A32 (``binary_activation=False``, the default): 1-bit weights and
      full-precision activations, as the official ``Conv_XNOR`` (AAAI BNAS).
    * W1A1 (``binary_activation=True``): activations are binarized too, by
      sign with the clipped straight-through estimator
      (:class:`~mmlean.binary.sign.SignSTE`, ``1_{|x| <= 1}``), the XNOR-Net
      activation binarizer. The IJCV paper reports 1-bit activations, but its
      exact activation binarizer is not in the official repository and is
      unverified here. The threshold is the per-sample mean by default
      (``standardize_activation=True``: ``sign(x - mean(x))``, as
      :class:`BinaryConv2d`), because BNAS's convs follow a ReLU, whose
      output a zero threshold would binarize to all +1;
      ``standardize_activation=False`` takes ``sign(x)``.

    Sign maps 0 to +1 (mmlean's convention; the official code uses
    ``torch.sign``). Grouped/depthwise and dilated convs are supported, as in
    the official ``DilConv``/``SepConv`` ops.

    Args:
        *args, **kwargs: as ``nn.Conv2d``; ``padding_mode`` must be 'zeros'.
        binary_activation (bool): binarize the input (W1A1). Defaults to False
            (W1A32, the official code).
        standardize_activation (bool): W1A1 threshold: the per-sample mean
            (True, default) or 0 (False).
    """

    learnable_scale = False

    def __init__(self, *args, binary_activation: bool = False,
                 standardize_activation: bool = True, **kwargs):
        super().__init__(*args, binary_activation=binary_activation,
                         standardize_activation=standardize_activation, **kwargs)

    def binarize_weight(self, w: torch.Tensor) -> torch.Tensor:
        return XNORSign.apply(w)

    @torch.no_grad()
    def output_scale(self) -> torch.Tensor:
        """``alpha = mean(|W|)`` broadcast to (Cout,) (detached)."""
        alpha = self.weight.detach().abs().mean()
        return alpha.expand(self.out_channels).clone()
