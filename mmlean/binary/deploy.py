"""Turn a trained binary network into a bit-packed deploy model.

Every :class:`BinaryConv2d` (RBNN or plain; grouped, depthwise and dilated
too) becomes a :class:`PackedBinaryConv2d`: the sign bits of its weight packed
64 per word (1 bit per weight) and a per-channel epilogue ``y * scale + bias``
(``scale``: the conv's ``output_scale()`` where it has one). When the
conv's output feeds a ``BatchNorm2d`` directly (checked on a sample forward),
the BN is folded into that epilogue and replaced by ``nn.Identity``. Every
other module (FP stem, FC, pooling, residual adds) is unchanged; a block that
computes ``act(conv(x) + shortcut)`` can call
:meth:`PackedBinaryConv2d.forward_residual` to have the add and a clamp-like
activation done in the conv's epilogue (the Bi-Real blocks of
:class:`~mmlean.models.backbones.CIFARBasicBlock` do).
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmlean.ops import binary_conv as _bc
from mmlean.ops.binary_conv import PackedBinaryWeight, binary_conv2d, pack_binary_weight
from .conv import BinaryConv2d


class UnsupportedLayerError(ValueError):
    """A binary layer the bit-packed engine cannot run."""


class PackedBinaryConv2d(nn.Module):
    """Deploy form of a binary conv: bit-packed +-1 weights, fused epilogue.

    ``out = conv(sign(x - thr), W) * scale + bias`` with ``thr`` the per-sample
    mean of ``x`` (RBNN's activation standardization) or 0, computed by
    ``mmlean._ext.binary_conv2d`` (XNOR + popcount; exact integer sums; zero
    padding). Output is channels_last.

    Args:
        weight (Tensor): (Cout, Cin / groups, KH, KW); only its sign is kept.
        scale, bias (Tensor): (Cout,) epilogue.
        stride, padding (int): square stride and zero padding.
        threshold (str): 'mean' (per-sample mean) or 'zero'.
        dilation (int): square dilation.
        groups (int): as ``nn.Conv2d``; ``groups == Cin == Cout`` (depthwise)
            runs a kernel that packs 64 channels per word.
    """

    def __init__(self, weight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor,
                 stride: int = 1, padding: int = 0, threshold: str = 'mean',
                 dilation: int = 1, groups: int = 1):
        super().__init__()
        if threshold not in ('mean', 'zero'):
            raise ValueError(f"threshold must be 'mean' or 'zero', got {threshold!r}")
        if int(stride) < 1 or int(padding) < 0 or int(dilation) < 1:
            raise ValueError(f'need stride >= 1, padding >= 0 and dilation >= 1, got '
                             f'stride={stride}, padding={padding}, dilation={dilation}')
        packed = pack_binary_weight(weight, groups)
        self.in_channels, self.out_channels = packed.in_channels, packed.out_channels
        self.kernel_size = tuple(weight.shape[2:])
        self.stride, self.padding, self.threshold = int(stride), int(padding), threshold
        self.dilation, self.groups = int(dilation), packed.groups
        for name, t in (('scale', scale), ('bias', bias)):
            if t.numel() != self.out_channels:
                raise ValueError(f'{name} must have {self.out_channels} values (one per '
                                 f'output channel), got shape {tuple(t.shape)}')
        self.register_buffer('weight_blocked', packed.blocked)
        self.register_buffer('weight_neg', packed.neg_count)
        self.register_buffer('scale', scale.detach().float().reshape(-1).clone())
        self.register_buffer('bias', bias.detach().float().reshape(-1).clone())

    @property
    def packed(self) -> PackedBinaryWeight:
        return PackedBinaryWeight(self.weight_blocked, self.weight_neg,
                                  self.out_channels, self.in_channels, self.groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # None: the op computes the per-sample mean itself (one pass, no dispatch)
        thr = None if self.threshold == 'mean' else x.new_zeros(x.shape[0])
        ext = _bc.ext_module
        if ext is not None and not x.is_cuda and x.dtype == torch.float32 and \
                x.dim() == 4 and x.shape[1] == self.in_channels:
            # the hot path of a deploy model: straight to the kernel (the
            # wrapper's checks cost ~6 us per layer, ~5% of a small layer);
            # buffers read from the dict: as attributes each one first fails
            # the normal lookup and goes through nn.Module.__getattr__ (~1 us)
            _bc._log_isa_once()
            buf = self._buffers
            return ext.binary_conv2d(x, thr, buf['weight_blocked'], buf['weight_neg'],
                                     self.out_channels, self.stride, self.padding,
                                     buf['scale'], buf['bias'], False, self.dilation,
                                     self.groups)
        return binary_conv2d(x, thr, self.packed, self.stride, self.padding,
                             self.scale, self.bias, dilation=self.dilation)

    def forward_residual(self, x: torch.Tensor, residual: torch.Tensor,
                         act: Optional[nn.Module] = None) -> torch.Tensor:
        """``act(self(x) + residual)`` with the add and the activation in the
        conv's epilogue (one pass over the output) when ``act`` is a clamp:
        ``nn.Hardtanh`` (``nn.ReLU6``), ``nn.ReLU``, ``nn.Identity`` or None;
        any other ``act`` runs after. Equal to the separate ops."""
        bounds = clamp_bounds(act)
        if bounds is None:
            return act(self(x) + residual)
        thr = None if self.threshold == 'mean' else x.new_zeros(x.shape[0])
        ext = _bc.ext_module
        if ext is not None and not x.is_cuda and x.dtype == torch.float32 and \
                x.dim() == 4 and x.shape[1] == self.in_channels:
            _bc._log_isa_once()
            buf = self._buffers
            return ext.binary_conv2d(x, thr, buf['weight_blocked'], buf['weight_neg'],
                                     self.out_channels, self.stride, self.padding,
                                     buf['scale'], buf['bias'], False, self.dilation,
                                     self.groups, residual, bounds[0], bounds[1])
        return binary_conv2d(x, thr, self.packed, self.stride, self.padding, self.scale,
                             self.bias, dilation=self.dilation, residual=residual,
                             clamp_min=bounds[0], clamp_max=bounds[1])

    def extra_repr(self) -> str:
        s = (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
             f'stride={self.stride}, padding={self.padding}')
        if self.dilation != 1:
            s += f', dilation={self.dilation}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        return s + f', threshold={self.threshold}'


Bounds = Tuple[Optional[float], Optional[float]]


def clamp_bounds(act: Optional[nn.Module]) -> Optional[Bounds]:
    """(min, max) of an activation that is a clamp (None: that side open), or
    None when it is not one: ``nn.Hardtanh`` (and ``nn.ReLU6``), ``nn.ReLU``,
    ``nn.Identity`` and no activation."""
    if act is None or isinstance(act, nn.Identity):
        return None, None
    if isinstance(act, nn.Hardtanh):
        return float(act.min_val), float(act.max_val)
    if isinstance(act, nn.ReLU):
        return 0.0, None
    return None


def _check_supported(name: str, conv: BinaryConv2d) -> None:
    reasons = []
    if not conv.binary_activation:
        reasons.append('its activations are not binarized (W1A32)')
    if conv.kernel_size[0] != conv.kernel_size[1]:
        reasons.append(f'non-square kernel {conv.kernel_size}')
    if conv.stride[0] != conv.stride[1]:
        reasons.append(f'non-square stride {conv.stride}')
    if isinstance(conv.padding, str) or conv.padding[0] != conv.padding[1]:
        reasons.append(f'padding {conv.padding}')
    if conv.dilation[0] != conv.dilation[1]:
        reasons.append(f'non-square dilation {conv.dilation}')
    if reasons:
        raise UnsupportedLayerError(f'cannot deploy layer {name!r} '
                                    f'({type(conv).__name__}): ' + '; '.join(reasons))


def _bn_consumers(model: nn.Module, sample: torch.Tensor,
                  names: List[str]) -> Dict[str, str]:
    """{binary conv name: BN name} for BNs whose input is that conv's output."""
    produced, consumed, handles = {}, {}, []
    alive = []  # every recorded tensor stays alive, so no id is reused during the pass

    def record(name, output):
        alive.append(output)
        produced.setdefault(id(output), name)

    def record_input(name, inputs):  # must return None: a value would replace the input
        alive.append(inputs[0])  # kept alive too, or a later output could reuse its id
        consumed.setdefault(name, id(inputs[0]))

    modules = dict(model.named_modules())
    for name in names:
        handles.append(modules[name].register_forward_hook(
            lambda m, i, o, n=name: record(n, o)))
    for name, module in modules.items():
        if isinstance(module, nn.BatchNorm2d):
            handles.append(module.register_forward_pre_hook(
                lambda m, i, n=name: record_input(n, i)))
    try:
        with torch.no_grad():
            model(sample)
    finally:
        for h in handles:
            h.remove()
    pairs = {}
    for bn_name, tensor_id in consumed.items():
        conv_name = produced.get(tensor_id)
        if (conv_name is not None and conv_name not in pairs
                and modules[bn_name].num_features == modules[conv_name].out_channels):
            pairs[conv_name] = bn_name
    return pairs


@torch.no_grad()
def convert_to_deploy(model: nn.Module, sample: Optional[torch.Tensor] = None,
                      fuse_bn: bool = True) -> List[str]:
    """Replace the binary convs of ``model`` (in eval mode) in place.

    Args:
        model (nn.Module): a trained model with :class:`BinaryConv2d` layers.
        sample (Tensor, optional): an input for ``model(sample)``, used to find
            which BatchNorm consumes which conv; needed when ``fuse_bn``.
        fuse_bn (bool): fold directly-following BatchNorm2d into the epilogue.

    Returns:
        list[str]: the converted layer names.

    Raises:
        UnsupportedLayerError: names the layer the engine cannot run and why.
    """
    model.eval()
    names = [n for n, m in model.named_modules() if isinstance(m, BinaryConv2d)]
    for name in names:
        _check_supported(name, model.get_submodule(name))
    pairs = {}
    if fuse_bn:
        if sample is None:
            raise ValueError('convert_to_deploy(fuse_bn=True) needs a sample input')
        pairs = _bn_consumers(model, sample, names)
    for name in names:
        conv = model.get_submodule(name)
        scale = _output_scale(conv)
        bias = (conv.bias.detach().float() if conv.bias is not None
                else torch.zeros_like(scale))
        bn_name = pairs.get(name)
        if bn_name is not None:
            bn = model.get_submodule(bn_name)
            inv_std = (bn.running_var + bn.eps).rsqrt()
            gamma = bn.weight if bn.affine else torch.ones_like(inv_std)
            beta = bn.bias if bn.affine else torch.zeros_like(inv_std)
            factor = gamma * inv_std
            scale, bias = scale * factor, (bias - bn.running_mean) * factor + beta
            _set_module(model, bn_name, nn.Identity())
        threshold = 'mean' if conv.standardize_activation else 'zero'
        packed = PackedBinaryConv2d(conv.binary_weight(), scale, bias, conv.stride[0],
                                    conv.padding[0], threshold, conv.dilation[0], conv.groups)
        _set_module(model, name, packed.to(conv.weight.device))
    return names


def _output_scale(conv: BinaryConv2d) -> torch.Tensor:
    """The conv's per-output-channel float scale, (Cout,)."""
    scale = conv.output_scale() if hasattr(conv, 'output_scale') else conv.scale
    return scale.detach().float().reshape(-1)


def _set_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition('.')
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def save_deploy(model: nn.Module, path: str) -> int:
    """Save a converted model's state_dict atomically; returns the file size.

    The file holds tensors only (packed int64 words, int32 counts, floats), so
    it loads with ``torch.load(weights_only=True)``.
    """
    import io

    from mmlean.compat.atomic_write import atomic_write_bytes
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    atomic_write_bytes(buf.getvalue(), path)
    return len(buf.getvalue())


def load_deploy(model: nn.Module, path: str, sample: torch.Tensor,
                fuse_bn: bool = True) -> nn.Module:
    """Rebuild the deploy structure on a freshly built ``model`` (same config)
    and load the packed weights of ``path`` into it (weights_only)."""
    from mmlean.compat.checkpoint import safe_load
    convert_to_deploy(model, sample=sample, fuse_bn=fuse_bn)
    state = safe_load(path)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f'{path} does not match the deploy structure of this config: '
                         f'missing keys {missing[:5]}, unexpected keys {unexpected[:5]}')
    return model.eval()
