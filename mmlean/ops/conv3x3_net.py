"""A chain of fused 3x3 convolutions run as one op (small-batch CPU inference).

:class:`Conv3x3Net` runs a small program of steps over zero-bordered planar
activation buffers in one call of ``mmlean._ext.conv3x3_net_forward``:

* ``conv``: 3x3 convolution, padding 1, stride 1 or 2, with bias, an optional
  residual buffer added and an optional ReLU (conv + BN folded + add + ReLU);
* ``shortcut_a``: the parameter-free option-A shortcut of He et al. (CVPR
  2016, §4.2): subsample by the stride and zero-pad the channels on both
  sides;
* ``gap_linear``: global average pooling and a linear classifier (last step).

The compiled kernel vectorizes along the image rows (8 output pixels per AVX2
lane vector) instead of along the output channels as oneDNN's AVX2 kernels
do, so convolutions with few or odd output channels (pruned networks: 7, 13,
26 filters) run as fast per MAC as 16- or 64-channel ones, and the whole
network costs one call instead of one dispatch per op. Every output row must
be a multiple of 8 pixels wide (32, 16, 8 in CIFAR ResNets). Without the
extension, or on a CPU without AVX2/FMA, :func:`conv3x3_net_reference` runs
the same program with ``torch.nn.functional`` (also what the tests compare
with).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlean.utils.ext_loader import load_ext

try:
    ext_module = load_ext('_ext', ['conv3x3_net_forward', 'conv3x3_pack_weight'])
except ImportError as err:  # built before this op existed: run the reference
    import warnings
    warnings.warn(f'{err}; Conv3x3Net runs its PyTorch reference meanwhile')
    ext_module = None

OP_CONV, OP_SHORTCUT_A, OP_GAP_LINEAR = 0, 1, 2
# columns of a program row (must match conv3x3_net_cpu.cpp)
FIELDS = ('op', 'src', 'dst', 'res', 'cin', 'cout', 'h_in', 'w_in', 'stride', 'relu', 'w_off',
          'b_off')


def conv3x3_net_available() -> bool:
    """Whether the compiled op can run here (extension built, AVX2 + FMA CPU)."""
    return ext_module is not None and bool(ext_module.conv3x3_net_available())


class Conv3x3NetBuilder:
    """Collects the steps of a :class:`Conv3x3Net` program.

    Buffer 0 is the input image ``input_shape`` (C, H, W). Every step returns
    the buffer it writes; ``dst`` may name an existing buffer of the same
    shape (a residual block writes its output over its input: each output
    element reads its residual just before overwriting it).
    """

    def __init__(self, input_shape: Sequence[int]):
        self.shapes: List[Tuple[int, int, int]] = [tuple(int(s) for s in input_shape)]
        self.rows: List[List[int]] = []
        self.weights: List[torch.Tensor] = []
        self.biases: List[torch.Tensor] = []
        self._w_off = 0
        self._b_off = 0
        self.finished = False

    def _dst(self, dst: Optional[int], shape: Tuple[int, int, int]) -> int:
        if dst is None:
            self.shapes.append(shape)
            return len(self.shapes) - 1
        if dst == 0 or self.shapes[dst] != shape:
            raise ValueError(f'buffer {dst} cannot hold {shape}')
        return dst

    def _params(self, weight: torch.Tensor, bias: torch.Tensor) -> Tuple[int, int]:
        offs = self._w_off, self._b_off
        self.weights.append(weight.detach().float().contiguous().flatten())
        self.biases.append(bias.detach().float().contiguous().flatten())
        self._w_off += weight.numel()
        self._b_off += bias.numel()
        return offs

    def _check_open(self):
        if self.finished:
            raise ValueError('the program already ended with gap_linear')

    def conv(self, src: int, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: int = 1,
             relu: bool = True, residual: Optional[int] = None,
             dst: Optional[int] = None) -> int:
        """``dst = [relu](conv3x3(src, weight, bias, stride, padding=1) [+ residual])``."""
        self._check_open()
        c, h, w = self.shapes[src]
        cout = weight.shape[0]
        if tuple(weight.shape) != (cout, c, 3, 3):
            raise ValueError(f'weight {tuple(weight.shape)} does not read {c} channels with a '
                             '3x3 kernel')
        if stride not in (1, 2):
            raise ValueError(f'stride {stride}: 1 or 2 supported')
        shape = (cout, (h - 1) // stride + 1, (w - 1) // stride + 1)
        if shape[2] % 8:
            raise ValueError(f'output width {shape[2]} is not a multiple of 8')
        if residual is not None and (self.shapes[residual] != shape or residual == src):
            raise ValueError(f'residual buffer {residual} {self.shapes[residual]} does not '
                             f'match the output {shape}')
        out = self._dst(dst, shape)
        if out == src:
            raise ValueError('a conv cannot write its own input')
        if bias is None:
            bias = weight.new_zeros(cout)
        w_off, b_off = self._params(weight, bias)
        self.rows.append([OP_CONV, src, out, -1 if residual is None else residual, c, cout, h, w,
                          stride, int(relu), w_off, b_off])
        return out

    def shortcut_a(self, src: int, out_channels: int, stride: int) -> int:
        """Option-A shortcut: ``x[:, :, ::stride, ::stride]`` with
        ``(out_channels - C) // 2`` zero channels before and the rest after."""
        self._check_open()
        c, h, w = self.shapes[src]
        if out_channels < c or stride not in (1, 2):
            raise ValueError(f'shortcut from {c} to {out_channels} channels, stride {stride}')
        out = self._dst(None, (out_channels, (h - 1) // stride + 1, (w - 1) // stride + 1))
        self.rows.append([OP_SHORTCUT_A, src, out, -1, c, out_channels, h, w, stride, 0,
                          (out_channels - c) // 2, 0])
        return out

    def gap_linear(self, src: int, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> None:
        """Global average pooling of ``src`` then ``weight @ x + bias`` (last step)."""
        self._check_open()
        c, h, w = self.shapes[src]
        if weight.dim() != 2 or weight.shape[1] != c:
            raise ValueError(f'linear weight {tuple(weight.shape)} does not read {c} features')
        if bias is None:
            bias = weight.new_zeros(weight.shape[0])
        w_off, b_off = self._params(weight, bias)
        self.rows.append([OP_GAP_LINEAR, src, -1, -1, c, weight.shape[0], h, w, 1, 0, w_off,
                          b_off])
        self.finished = True

    def build(self) -> 'Conv3x3Net':
        if not self.finished:
            raise ValueError('a program must end with gap_linear')
        return Conv3x3Net(self.shapes[0], torch.tensor(self.rows, dtype=torch.long),
                          torch.cat(self.weights), torch.cat(self.biases))


class Conv3x3Net(nn.Module):
    """Runs a :class:`Conv3x3NetBuilder` program: ``forward(x)`` with ``x``
    (N, C, H, W) of the builder's input shape returns the (N, classes) output
    of the final ``gap_linear`` step.

    ``weight`` holds every conv weight flattened in (cout, cin, 3, 3) order
    (the reference reads it); the compiled op reads ``weight_packed``, the same
    numbers per conv grouped by output-channel blocks.
    """

    def __init__(self, input_shape: Sequence[int], program: torch.Tensor, weight: torch.Tensor,
                 bias: torch.Tensor):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.register_buffer('program', program.long().contiguous())
        self.register_buffer('weight', weight.float().contiguous())
        self.register_buffer('bias', bias.float().contiguous())
        self.register_buffer('weight_packed', self._pack(), persistent=False)
        self.use_ext = conv3x3_net_available()

    def _pack(self) -> torch.Tensor:
        if not conv3x3_net_available():
            return self.weight
        packed = self.weight.clone()
        for row in self.program.tolist():
            if row[0] != OP_CONV:
                continue
            cin, cout, off = row[4], row[5], row[10]
            w = self.weight[off:off + cout * cin * 9].view(cout, cin, 3, 3)
            packed[off:off + w.numel()] = ext_module.conv3x3_pack_weight(w)
        return packed

    def conv_channels(self) -> List[Tuple[int, int]]:
        """(in, out) channels of every conv step, in program order."""
        return [(r[4], r[5]) for r in self.program.tolist() if r[0] == OP_CONV]

    def macs(self) -> int:
        """Multiply-accumulates of one image: convs and the final linear."""
        total = 0
        for op, _, _, _, cin, cout, h, w, stride, *_ in self.program.tolist():
            if op == OP_CONV:
                total += cin * cout * 9 * ((h - 1) // stride + 1) * ((w - 1) // stride + 1)
            elif op == OP_GAP_LINEAR:
                total += cin * cout
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f'Conv3x3Net was built for inputs {self.input_shape}, got '
                             f'{tuple(x.shape[1:])}')
        if self.use_ext and x.device.type == 'cpu' and x.dtype == torch.float32:
            return ext_module.conv3x3_net_forward(x, self.program, self.weight_packed, self.bias)
        return conv3x3_net_reference(x, self.program, self.weight, self.bias)


def conv3x3_net_reference(x: torch.Tensor, program: torch.Tensor, weight: torch.Tensor,
                          bias: torch.Tensor) -> torch.Tensor:
    """The program of :class:`Conv3x3Net` in plain PyTorch (unpacked weights)."""
    bufs: Dict[int, torch.Tensor] = {0: x}
    for row in program.tolist():
        op, src, dst, res, cin, cout, _, _, stride, relu, w_off, b_off = row
        s = bufs[src]
        if op == OP_CONV:
            w = weight[w_off:w_off + cout * cin * 9].view(cout, cin, 3, 3)
            y = F.conv2d(s, w, bias[b_off:b_off + cout], stride, 1)
            if res >= 0:
                y = y + bufs[res]
            bufs[dst] = F.relu(y) if relu else y
        elif op == OP_SHORTCUT_A:
            s = s[:, :, ::stride, ::stride]
            bufs[dst] = F.pad(s, (0, 0, 0, 0, w_off, cout - cin - w_off))
        else:
            w = weight[w_off:w_off + cout * cin].view(cout, cin)
            return F.linear(s.mean((2, 3)), w, bias[b_off:b_off + cout])
    raise ValueError('the program has no gap_linear step')
