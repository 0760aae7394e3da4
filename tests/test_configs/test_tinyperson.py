"""TinyPerson configs (configs/tinyperson) on a mini TinyPerson in TinyBenchmark's layout
(whole-image jsons with ignore / uncertain regions, the erased training images, the tile
files cut by tools/dataset_converters/tinyperson_cut.py as the README says) and mini COCO
2014 for Scale Match pre-training: train (tiles at half size for the CPU), validate and test
with the TinyPerson protocol (tiles merged back to whole images). The sm-coco fine-tuning
config starts from the SM pre-training run's checkpoint (``load_from``). The detectors'
score thresholds are 0 so that the metrics score the boxes of a 2-iteration model."""
import pytest

TINYPERSON = [
    'tinyperson/retinanet_r50_fpn_1xb2-12e_tinyperson640.py',
    'tinyperson/adaptive-retinanet_r50_fpn_1xb2-12e_tinyperson640.py',
    'tinyperson/iff_adaptive-retinanet_r50_fpn_1xb2-12e_tinyperson640.py',
    'tinyperson/faster-rcnn_r50_fpn_1xb2-12e_tinyperson640.py',
    'tinyperson/faster-rcnn_r50_fpn_1xb2-12e_tinyperson640-runtime-tiles.py',
]
SCALE_MATCH = ['tinyperson/faster-rcnn_r50_fpn_sm-coco_8xb4-45k.py',
               'tinyperson/faster-rcnn_r50_fpn_msm-coco_8xb4-45k.py']
FINE_TUNE = {'tinyperson/faster-rcnn_r50_fpn_1xb2-12e_tinyperson640_sm-coco.py':
             'tinyperson/faster-rcnn_r50_fpn_sm-coco_8xb4-45k.py'}
DEMO = ['tinyperson/demo/faster-rcnn_r18_fpn_1xb4-800i_synthetic-tinyperson.py']
CONFIGS = TINYPERSON + SCALE_MATCH + sorted(FINE_TUNE) + DEMO


def _prepare(config, config_runs, pretrained_cache, embedded_data):
    cfg = config_runs.load(config)
    init = cfg.model.backbone.get('init_cfg') or {}
    if init.get('checkpoint'):
        pretrained_cache(init['checkpoint'])
    extra = config_runs.score_threshold_options(cfg)
    if config in DEMO:
        embedded_data('synthetic_tinyperson')
    elif config not in SCALE_MATCH:
        # TinyPerson tiles are not resized (scale_factor 1); half size here for the CPU
        extra.update(config_runs.resize_options(cfg, scale_factor=0.5))
    return extra


def _test(run, config_runs, extra):
    return config_runs.test(run, {k: v for k, v in extra.items()
                                  if not k.startswith(('train_', 'val_'))})


@pytest.mark.parametrize('config', TINYPERSON + DEMO)
def test_train_test(config, config_runs, pretrained_cache, embedded_data):
    extra = _prepare(config, config_runs, pretrained_cache, embedded_data)
    metrics = _test(config_runs.train(config, extra), config_runs, extra)
    assert 'tiny/AP50_tiny' in metrics and 'tiny/MR50_tiny' in metrics, metrics


@pytest.mark.parametrize('config', SCALE_MATCH)
def test_scale_match_pretraining(config, config_runs, pretrained_cache, embedded_data):
    extra = _prepare(config, config_runs, pretrained_cache, embedded_data)
    run = config_runs.train(config, extra)
    # COCO test images at a quarter of their size (the configs' SM test pipeline): a
    # 2-iteration Faster R-CNN may keep no box there; the metric then reports nothing
    metrics = config_runs.test(run, {k: v for k, v in extra.items()
                                     if not k.startswith(('train_', 'val_'))},
                               boxes_optional=True)
    assert not metrics or 'coco/bbox_mAP' in metrics, metrics


@pytest.mark.parametrize('config', sorted(FINE_TUNE))
def test_fine_tune_from_scale_match(config, config_runs, pretrained_cache, embedded_data):
    pre = FINE_TUNE[config]
    pretrained = config_runs.train(pre, _prepare(pre, config_runs, pretrained_cache,
                                                 embedded_data))
    extra = _prepare(config, config_runs, pretrained_cache, embedded_data)
    run = config_runs.train(config, dict(extra, load_from=pretrained.checkpoint))
    assert f'Load checkpoint from {pretrained.checkpoint}' in run.log()
    metrics = _test(run, config_runs, extra)
    assert 'tiny/AP50_tiny' in metrics, metrics
