"""The DARTS classification head with the auxiliary classifier, for mmpretrain 1.x labels."""
from typing import List, Tuple

import torch
from mmpretrain.evaluation import Accuracy
from mmrazor.models.architectures.heads import DartsSubnetClsHead
from mmrazor.registry import MODELS


@MODELS.register_module()
class DartsAuxClsHead(DartsSubnetClsHead):
    """mmrazor's ``DartsSubnetClsHead`` reading mmpretrain 1.x data samples.

    The DARTS evaluation network's classifier plus its auxiliary classifier
    (Liu et al., arXiv 1806.09055; official ``cnn/model.py``
    ``AuxiliaryHeadCIFAR``, loss ``loss + 0.4 * loss_aux``; BNAS keeps both,
    github.com/bczhangbczhang/BNAS ``models/darts_cnn_x.py``). mmrazor 1.0's
    head reads the target from mmcls 1.0's ``gt_label.label``/``.score``;
    mmpretrain's ``DataSample`` holds ``gt_label`` (a tensor) and
    ``gt_score``, on which mmrazor's aux loss fails. This subclass unpacks
    them as mmpretrain's ``ClsHead`` does. The auxiliary feature is
    ``feats[0]`` (the backbone puts it first in training); the losses are
    logged as ``loss``/``aux_head.loss``.

    Args:
        aux_in_channels (int): channels of the auxiliary feature (768).
        aux_loss (dict): its loss, e.g. ``CrossEntropyLoss`` with
            ``loss_weight=0.4``.
        **kwargs: as mmpretrain's ``LinearClsHead``.
    """

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List, **kwargs) -> dict:
        """The classifier's losses plus the auxiliary ones, prefixed ``aux_head.``."""
        losses = super(DartsSubnetClsHead, self).loss(feats, data_samples, **kwargs)
        aux = self._get_aux_loss(self.forward_aux(feats), data_samples, **kwargs)
        losses.update({f'aux_head.{k}': v for k, v in aux.items()})
        return losses

    def _get_aux_loss(self, cls_score: torch.Tensor, data_samples: List, **kwargs) -> dict:
        if 'gt_score' in data_samples[0]:
            target = torch.stack([s.gt_score for s in data_samples])
        else:
            target = torch.cat([s.gt_label for s in data_samples])
        losses = dict(loss=self.aux_loss_module(cls_score, target, avg_factor=cls_score.size(0),
                                                **kwargs))
        if self.cal_acc:
            if target.ndim != 1:
                raise ValueError('DartsAuxClsHead: cal_acc needs class-index labels, not the '
                                 'score targets of batch augmentations')
            acc = Accuracy.calculate(cls_score, target, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, acc)})
        return losses
