"""CP-NAS's training stage: the searched 1-bit child trained with the kernel-level CP loss."""
import logging
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from mmlean.binary import BinaryConv2d
from mmlean.utils.algorithm import classifier_defaults

TARGETS = ('latent', 'parent')
PARENT_MODES = ('none', 'frozen', 'joint')


def reconstructed_kernel(conv: BinaryConv2d) -> torch.Tensor:
    """``H_hat``: the binarized kernel times its scale, as the forward uses it (differentiable)."""
    kernel = conv.binarize_weight(conv.effective_weight())
    if getattr(conv, 'scale', None) is not None:
        kernel = kernel * conv.scale.view(-1, 1, 1, 1)
    return kernel


def kernel_pairs(child: nn.Module, parent: Optional[nn.Module],
                 target: str) -> List[Tuple[str, torch.Tensor, torch.Tensor]]:
    """(name, target kernel H, reconstructed kernel H_hat) for every binary conv of ``child``.

    ``target='latent'``: ``H`` is the child's own real-valued latent kernel (the
    PCNN/XNOR kernel reconstruction); ``'parent'``: the kernel of the parent's
    conv with the same name (child and parent share the search space, so the
    names match), detached.
    """
    parent_modules = dict(parent.named_modules()) if parent is not None else {}
    pairs = []
    for name, conv in child.named_modules():
        if not isinstance(conv, BinaryConv2d):
            continue
        if target == 'latent':
            kernel = conv.effective_weight()
        else:
            twin = parent_modules.get(name)
            if not isinstance(twin, nn.Conv2d) or twin.weight.shape != conv.weight.shape:
                raise KeyError(f'CP loss: the parent has no conv {name!r} of shape '
                               f'{tuple(conv.weight.shape)}; child and parent must be built '
                               'from the same genotype')
            kernel = twin.weight.detach()
        pairs.append((name, kernel, reconstructed_kernel(conv)))
    if not pairs:
        raise ValueError('CP loss: the child has no binary conv')
    return pairs


def cp_kernel_loss(pairs, lambda_kernel: float) -> torch.Tensor:
    """``(lambda / 2) * sum_l sum_c MSE(H_c^l, H_hat_c^l)`` (MSE over each filter's elements)."""
    total = 0.0
    for _, kernel, reconstructed in pairs:
        per_filter = (kernel - reconstructed).pow(2).flatten(1).mean(1)
        total = total + per_filter.sum()
    return 0.5 * lambda_kernel * total


@MODELS.register_module()
class ChildParentTrainer(BaseAlgorithm):
    """Train the searched 1-bit child with CP-NAS's loss (Zhuo et al., IJCAI 2020,
    arXiv 2005.00057, training stage):

        ``L = L_CE + (lambda / 2) sum_l sum_c MSE(H_c^l, H_hat_c^l)
              + (lambda_c / 2) mean_s || f_s - c_{y_s} ||^2``

    ``H_hat`` is the child's reconstructed binary kernel (``alpha * sign(W)``),
    ``H`` the kernel it is pulled toward, ``f_s`` the child's pooled
    last-stage feature and ``c_y`` a running class centre (the intra-class
    compactness term, as PCNN's centre loss).

    Unverified in the paper as we could read it, so options: which kernel
    ``H`` is (``target``: 'latent', the child's own real-valued kernel, as PCNN;
    or 'parent', the full-precision parent's kernel of the same conv, the
    child-parent reading; default 'parent'), ``lambda_kernel`` (default 1e-4:
    the per-filter MSE sums over every filter of every binary conv, thousands
    of terms, so it is a small multiple of the cross-entropy at the start), the
    centre weight (default 0.01, off with 0) and the parent's role
    (``parent_mode``): 'frozen' (a trained FP parent from ``parent_checkpoint``
    or ``init_cfg``; default), 'joint' (trained beside the child with its own
    cross-entropy), 'none' (no parent: needs ``target='latent'``).

    Args:
        architecture (dict | BaseModel): the child network (e.g. a ``sub_model``).
        parent (dict | BaseModel, optional): the FP parent, same genotype.
        target, parent_mode, lambda_kernel, lambda_center: see above.
        center_momentum (float): EMA factor of the class centres. Defaults to 0.9.
        num_classes (int): classes, for the centres. Defaults to 10.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 parent: Union[BaseModel, Dict, None] = None, target: str = 'parent',
                 parent_mode: str = 'frozen', lambda_kernel: float = 1e-4,
                 lambda_center: float = 0.01, center_momentum: float = 0.9,
                 num_classes: int = 10, data_preprocessor=None, init_cfg=None):
        if target not in TARGETS:
            raise ValueError(f'ChildParentTrainer: target must be one of {TARGETS}, '
                             f'got {target!r}')
        if parent_mode not in PARENT_MODES:
            raise ValueError(f'ChildParentTrainer: parent_mode must be one of {PARENT_MODES}, '
                             f'got {parent_mode!r}')
        if (parent is None) != (parent_mode == 'none'):
            raise ValueError("ChildParentTrainer: give a parent exactly when parent_mode is not "
                             "'none'")
        if target == 'parent' and parent is None:
            raise ValueError("ChildParentTrainer: target='parent' needs a parent")
        architecture, data_preprocessor = classifier_defaults(architecture, data_preprocessor)
        super().__init__(architecture, data_preprocessor, init_cfg)
        if isinstance(parent, dict):
            init = parent.get('init_cfg') or {}
            if parent_mode == 'frozen' and init.get('type') != 'Pretrained':
                print_log('ChildParentTrainer: parent_mode is "frozen" but the parent config '
                          'has no Pretrained init_cfg: the child would be pulled toward an '
                          'untrained parent', logger='current', level=logging.WARNING)
            parent, _ = classifier_defaults(parent, None)
            parent = MODELS.build(parent)
        self.parent = parent
        if parent is not None and parent_mode == 'frozen':
            parent.requires_grad_(False)
        self.target, self.parent_mode = target, parent_mode
        self.lambda_kernel, self.lambda_center = float(lambda_kernel), float(lambda_center)
        self.center_momentum = float(center_momentum)
        self.register_buffer('centers', torch.zeros(0))
        self.num_classes = int(num_classes)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.parent is not None and self.parent_mode == 'frozen':
            self.parent.eval()  # a frozen parent keeps its BN statistics
        return self

    def _center_loss(self, feats: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.centers.numel() == 0:
            self.centers = feats.new_zeros(self.num_classes, feats.shape[1])
        centers = self.centers[labels]
        loss = 0.5 * (feats - centers).pow(2).sum(1).mean()
        with torch.no_grad():  # running class means (kept in a buffer: checkpoints have them)
            for c in labels.unique():
                mean = feats[labels == c].mean(0)
                self.centers[c] = self.center_momentum * self.centers[c] + \
                    (1 - self.center_momentum) * mean
        return loss

    def loss(self, inputs, data_samples=None) -> Dict:
        feats = self.architecture.extract_feat(inputs)  # through the neck (pooled)
        losses = add_prefix(self.architecture.head.loss(feats, data_samples), 'child')
        pairs = kernel_pairs(self.architecture, self.parent, self.target)
        losses['loss_cp_kernel'] = cp_kernel_loss(pairs, self.lambda_kernel)
        if self.lambda_center > 0:
            pooled = feats[-1] if isinstance(feats, (tuple, list)) else feats
            if pooled.dim() > 2:
                pooled = pooled.flatten(2).mean(2)
            labels = torch.cat([s.gt_label for s in data_samples])
            losses['loss_cp_center'] = self.lambda_center * self._center_loss(pooled, labels)
        if self.parent is not None and self.parent_mode == 'joint':
            losses.update(add_prefix(self.parent(inputs, data_samples, mode='loss'), 'parent'))
        return losses
