"""mmlean.compat.mmdet_compat: mmdet 3.3's SSDHead predicts (it lacked ``loss_cls``)."""
import torch

import mmlean  # noqa: F401


def test_ssd_head_predicts():
    from mmdet.models.dense_heads import SSDHead
    from mmengine.config import ConfigDict
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    head = SSDHead(
        num_classes=3, in_channels=(8, 8, 8), stacked_convs=0,
        anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False, input_size=64,
                              min_sizes=[8, 16, 32], max_sizes=[16, 32, 64],
                              strides=[8, 16, 32],
                              ratios=[[2], [2], [2]]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        test_cfg=ConfigDict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45),
                            min_bbox_size=0, score_thr=0.0, max_per_img=10))
    feats = (torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4), torch.randn(1, 8, 2, 2))
    cls_scores, bbox_preds = head(feats)
    results = head.predict_by_feat(cls_scores, bbox_preds,
                                   batch_img_metas=[dict(img_shape=(64, 64),
                                                         scale_factor=(1.0, 1.0))],
                                   rescale=False)
    assert len(results) == 1 and len(results[0].bboxes) > 0
    assert results[0].scores.max() <= 1.0  # softmax scores, as before mmdet's regression
