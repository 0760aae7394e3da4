"""IFF configs (configs/iff) and their plain baselines on mini COCO 2017 / VOC 2007+2012 in
the released formats: train (images resized to at most 320 px for the CPU instead of
1333 x 800; SSD keeps its 300 x 300), validate, test with COCO / VOC metrics. The ImageNet
backbones a config initialises from are cached stand-ins of the downloads. The detectors'
score thresholds are 0 so that the metrics score the boxes of a 2-iteration model."""
import pytest

COCO = [
    'iff/retinanet_r50_fpn_1x_coco.py', 'iff/iff_retinanet_r50_fpn_1x_coco.py',
    'iff/fcos_r50-caffe_fpn_gn-head_1x_coco.py', 'iff/iff_fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    'iff/fovea_r50_fpn_4xb4-1x_coco.py', 'iff/iff_fovea_r50_fpn_4xb4-1x_coco.py',
    'iff/freeanchor_r50_fpn_1x_coco.py', 'iff/iff_freeanchor_r50_fpn_1x_coco.py',
]
VOC = ['iff/ssd300_voc0712.py', 'iff/iff_ssd300_voc0712.py']
SHAPES = ['iff/demo/retinanet_r18_fpn_1xb8-1200i_shapes.py',
          'iff/demo/iff_retinanet_r18_fpn_1xb8-1200i_shapes.py']
CONFIGS = COCO + VOC + SHAPES


def _backbone_weights(cfg):
    init = cfg.model.backbone.get('init_cfg') or {}
    return init.get('checkpoint')


@pytest.mark.parametrize('config', CONFIGS)
def test_train_test(config, config_runs, pretrained_cache, embedded_data):
    resize_options = config_runs.resize_options
    if config in SHAPES:
        embedded_data('shapes_coco')
    cfg = config_runs.load(config)
    if _backbone_weights(cfg):
        pretrained_cache(_backbone_weights(cfg))
    extra = resize_options(cfg, scale=(320, 320)) if config in COCO else {}
    extra.update(config_runs.score_threshold_options(cfg))
    run = config_runs.train(config, extra)
    metrics = config_runs.test(run, {k: v for k, v in extra.items()
                                     if not k.startswith(('train_', 'val_'))})
    key = 'pascal_voc/mAP' if config in VOC else 'coco/bbox_mAP'
    assert key in metrics and metrics[key] >= 0, metrics
