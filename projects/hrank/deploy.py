"""Deploy forms of an HRank-pruned classifier (and of its original) for CPU
inference, all with BatchNorm folded into the convs.

HRank (Lin et al., CVPR 2020) reports the FLOPs of its pruned networks; the
official code (github.com/lmbxmu/HRank) only masks filters. mmlean removes
them physically (:meth:`HRank.export`), and these forms run what remains:

* ``'eager'``: the PyTorch modules, BN folded (``mmcv.cnn.fuse_conv_bn``).
* ``'jit'``: the eager form traced and frozen with TorchScript
  (``torch.jit.freeze``) with oneDNN Graph fusion enabled while it warms up,
  so conv + bias + ReLU and conv + bias + residual add + ReLU run as fused
  oneDNN partitions without per-module Python overhead.
* ``'fused'`` (CIFAR ResNets, :func:`fused_cifar_resnet`): the whole network
  as one :class:`mmlean.ops.conv3x3_net.Conv3x3Net` call, whose kernel vectorizes along
  the image rows, so the odd filter counts HRank leaves (7, 13, 26, ...) run
  as fast per MAC as the original 16/32/64 (oneDNN's AVX2 kernels vectorize
  along the output channels and lose about half their speed on them).

Every form keeps the filters of the model it is given (the fused form's
``conv_channels()`` lists them), so the pruned model's FLOPs and parameters
are unchanged; outputs match the eager model up to float rounding.
"""
import copy
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn

from mmlean.ops.conv3x3_net import Conv3x3Net, Conv3x3NetBuilder

DEPLOY_FORMS = ('eager', 'jit', 'fused')


class TensorMode(nn.Module):
    """``model(x, mode='tensor')`` as a plain ``forward(x)`` (traceable)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def _fold(conv: nn.Conv2d, bn: nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of ``bn(conv(x))`` as one conv (eval-mode BN)."""
    w = conv.weight.detach()
    b = conv.bias.detach() if conv.bias is not None else w.new_zeros(w.shape[0])
    if isinstance(bn, nn.Identity):
        return w, b
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm) or not bn.track_running_stats:
        raise NotImplementedError(f'cannot fold {type(bn).__name__} into a conv')
    scale = bn.running_var.detach().add(bn.eps).rsqrt()
    if bn.weight is not None:
        scale = scale * bn.weight.detach()
    shift = bn.bias.detach() if bn.bias is not None else torch.zeros_like(scale)
    return w * scale.view(-1, 1, 1, 1), (b - bn.running_mean.detach()) * scale + shift


def _check_conv3x3(name: str, conv: nn.Module, stride: int) -> None:
    if not (type(conv) is nn.Conv2d and conv.kernel_size == (3, 3) and conv.padding == (1, 1)
            and conv.stride == (stride, stride) and conv.dilation == (1, 1) and conv.groups == 1
            and conv.padding_mode == 'zeros'):
        raise NotImplementedError(f'{name}: the fused form runs 3x3 convs with padding 1, '
                                  f'got {conv}')


def _check_relu(name: str, act: nn.Module) -> None:
    if type(act) is not nn.ReLU:
        raise NotImplementedError(f'{name}: the fused form runs ReLU activations, got {act}')


def fused_cifar_resnet(model: nn.Module, input_shape: Sequence[int] = (3, 32, 32)) -> Conv3x3Net:
    """The CIFAR ResNet classifier ``model`` (mmlean ``CIFARResNet`` backbone
    with identity / option-A shortcuts, ``GlobalAveragePooling``,
    ``LinearClsHead``) as one :class:`Conv3x3Net`, BN folded.

    Pruned block convs keep their filter counts; a block's output is written
    over its input buffer (the residual add is fused into the second conv).
    Raises NotImplementedError for anything else (option-B or Bi-Real
    shortcuts, other heads), so a caller can fall back to another form.
    """
    from mmpretrain.models.heads import LinearClsHead
    from mmpretrain.models.necks import GlobalAveragePooling

    from mmlean.models.backbones import CIFARResNet, PadShortcut
    backbone, neck, head = (getattr(model, k, None) for k in ('backbone', 'neck', 'head'))
    if not isinstance(backbone, CIFARResNet) or type(backbone).__name__ != 'CIFARResNet':
        raise NotImplementedError(f'the fused form needs a CIFARResNet backbone, got '
                                  f'{type(backbone).__name__}')
    if not isinstance(neck, GlobalAveragePooling) or not isinstance(head, LinearClsHead):
        raise NotImplementedError('the fused form needs GlobalAveragePooling + LinearClsHead')
    if backbone.out_indices != (len(backbone.layers) - 1, ):
        raise NotImplementedError('the fused form needs the last stage as the only output')
    if not isinstance(backbone.maxpool, nn.Identity) or not isinstance(backbone.relu, nn.ReLU):
        raise NotImplementedError('the fused form needs the CIFAR stem (conv-BN-ReLU, no pool)')
    builder = Conv3x3NetBuilder(input_shape)
    _check_conv3x3('backbone.conv1', backbone.conv1, 1)
    stream = builder.conv(0, *_fold(backbone.conv1, backbone.bn1), relu=True)
    for layer in backbone.layers:
        for i, block in enumerate(getattr(backbone, layer)):
            name = f'backbone.{layer}.{i}'
            if block.bireal:
                raise NotImplementedError(f'{name}: Bi-Real blocks are not supported')
            stride = block.conv1.stride[0]
            _check_conv3x3(name + '.conv1', block.conv1, stride)
            _check_conv3x3(name + '.conv2', block.conv2, 1)
            _check_relu(name + '.relu1', block.relu1)
            _check_relu(name + '.relu2', block.relu2)
            mid = builder.conv(stream, *_fold(block.conv1, block.bn1), stride=stride, relu=True)
            if isinstance(block.shortcut, nn.Identity):
                res = stream
            elif isinstance(block.shortcut, PadShortcut):
                if block.shortcut.stride != stride:
                    raise NotImplementedError(f'{name}: shortcut stride differs from conv1')
                extra = block.conv2.out_channels - builder.shapes[stream][0]
                if tuple(block.shortcut.pad) != (extra // 2, extra - extra // 2):
                    raise NotImplementedError(f'{name}: unexpected shortcut padding')
                res = builder.shortcut_a(stream, block.conv2.out_channels, stride)
            else:
                raise NotImplementedError(f'{name}: the fused form runs identity and option-A '
                                          f'shortcuts, got {type(block.shortcut).__name__}')
            stream = builder.conv(mid, *_fold(block.conv2, block.bn2), relu=True, residual=res,
                                  dst=res)
    builder.gap_linear(stream, head.fc.weight, head.fc.bias)
    return builder.build().eval()


def jit_deploy(model: nn.Module, input_shape: Sequence[int],
               channels_last: bool = False, warmup: int = 3) -> torch.jit.ScriptModule:
    """BN-folded ``model(x, mode='tensor')`` traced, frozen and warmed up with
    oneDNN Graph fusion (the fusion pass runs on the first calls; the flag is
    restored afterwards, the fused graph stays)."""
    from mmcv.cnn import fuse_conv_bn
    m = TensorMode(fuse_conv_bn(copy.deepcopy(model).eval())).eval()
    x = torch.randn(1, *input_shape)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    was = torch._C._jit_llga_enabled()
    torch.jit.enable_onednn_fusion(True)
    try:
        with torch.no_grad():
            frozen = torch.jit.freeze(torch.jit.trace(m, x))
            for _ in range(warmup):
                frozen(x)
    finally:
        torch.jit.enable_onednn_fusion(was)
    return frozen


def deploy(model: nn.Module, form: str, input_shape: Sequence[int] = (3, 32, 32),
           channels_last: bool = False) -> nn.Module:
    """``model`` (an mmpretrain classifier, pruned or not) in a deploy form of
    :data:`DEPLOY_FORMS`; the result maps (N, C, H, W) to logits."""
    if form == 'eager':
        from mmcv.cnn import fuse_conv_bn
        m = TensorMode(fuse_conv_bn(copy.deepcopy(model).eval())).eval()
        return m.to(memory_format=torch.channels_last) if channels_last else m
    if form == 'jit':
        return jit_deploy(model, input_shape, channels_last)
    if form == 'fused':
        return fused_cifar_resnet(model, input_shape)
    raise ValueError(f'deploy form {form!r} is not one of {DEPLOY_FORMS}')


def conv_channels(model: nn.Module) -> List[Tuple[int, int]]:
    """(in, out) channels of every conv of ``model``, in module order."""
    return [(m.in_channels, m.out_channels) for m in model.modules()
            if isinstance(m, nn.Conv2d)]
