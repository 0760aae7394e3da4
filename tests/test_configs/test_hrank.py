"""HRank configs (configs/hrank) on mini CIFAR-10 / ImageNet / COCO in their released
formats, in the README's order: the unpruned baselines train and test; for each pruning
config, tools/analysis_tools/hrank_ranks.py ranks the filters of the unpruned weights (into
the config's ``rank_file``), the config trains from them (``--cfg-options pretrained=...``,
the documented override) and tests, and tools/deployment/hrank_export.py removes the pruned
filters physically."""
import json
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

# pruning config -> the baseline config whose checkpoint it starts from
PRUNING = {
    'hrank/hrank_resnet56_1xb128-layerwise-30e_cifar10.py': 'hrank/resnet56_1xb128-300e_cifar10.py',
    'hrank/hrank_resnet110_1xb128-layerwise-30e_cifar10.py':
        'hrank/resnet110_1xb128-300e_cifar10.py',
    'hrank/hrank_vgg16_1xb128-layerwise-30e_cifar10.py': 'hrank/vgg16_1xb128-300e_cifar10.py',
    'hrank/hrank_densenet40_1xb64-layerwise-30e_cifar10.py':
        'hrank/densenet40_1xb64-300e_cifar10.py',
    'hrank/hrank_googlenet_1xb128-layerwise-30e_cifar10.py':
        'hrank/googlenet_1xb128-300e_cifar10.py',
    'hrank/hrank_resnet20_1xb64-10e_digits.py': 'demo/resnet20_1xb64-15e_digits.py',
    'hrank/hrank_resnet20_1xb64-12e_digits-on-photos.py':
        'hrank/resnet20_1xb64-30e_digits-on-photos.py',
}
# pruning configs whose starting weights are a download (a cached stand-in here)
PRUNING_PRETRAINED = {
    'hrank/hrank_resnet50_8xb32-oneshot-90e_in1k.py':
        'https://download.openmmlab.com/mmclassification/v0/resnet/'
        'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
    'hrank/hrank_faster-rcnn_r50_fpn_1x_coco.py': 'torchvision://resnet50',
}
BASELINES = sorted(set(PRUNING.values()))
# a released (official) baseline: converter arch -> the config tools/test.py evaluates it with
RELEASED = {'vgg16': 'hrank/vgg16_1xb128-300e_cifar10.py',
            'resnet56': 'hrank/resnet56_1xb128-300e_cifar10.py',
            'resnet50': 'hrank/resnet50_official-eval_in1k.py'}
CONFIGS = BASELINES + sorted(PRUNING) + sorted(PRUNING_PRETRAINED) + [RELEASED['resnet50']]
# detection on a CPU: the images are resized to at most 256 px instead of 1333 x 800
DETECTION_OPTIONS = {
    'train_dataloader.dataset.pipeline.2.scale': (256, 256),
    'test_dataloader.dataset.pipeline.1.scale': (256, 256),
    'val_dataloader.dataset.pipeline.1.scale': (256, 256),
}


def _official_layout():
    path = osp.join(osp.dirname(osp.dirname(__file__)), 'test_tools', 'test_hrank_official.py')
    return load_script(path, 'hrank_official_layout')


@pytest.mark.parametrize('arch', sorted(RELEASED))
def test_released_baseline_converts_tests_and_prunes(arch, config_runs, tools, tmp_path,
                                                     config_file):
    """The released baseline: the converter, tools/test.py; on CIFAR-10 also the HRank
    config starting from it (``pretrained=``), as the paper prunes its starting model."""
    import torch
    src, dst = str(tmp_path / 'baseline.pth'), str(tmp_path / 'converted.pth')
    torch.save({'state_dict': _official_layout().STATES[arch]()}, src)
    tools.ok('model_converters/hrank_official.py', src, dst, '--arch', arch)
    assert 0 <= config_runs.test_checkpoint(RELEASED[arch], dst, tmp_path)['accuracy/top1'] \
        <= 100
    if arch == 'resnet56':
        config = 'hrank/hrank_resnet56_1xb128-layerwise-30e_cifar10.py'
        _rank(config, dst, tools, config_runs, config_file)
        run = config_runs.train(config, {'pretrained': dst,
                                         **_layerwise_options(config, config_runs)},
                                name='hrank_resnet56_from_released')
        assert f'load model from: {dst}' in run.log()


@pytest.mark.parametrize('config', BASELINES)
def test_baseline(config, config_runs):
    metrics = config_runs.test(config_runs.train(config))
    assert 0 <= metrics['accuracy/top1'] <= 100


def _export(config, run, tools, config_runs, config_file):
    out = osp.join(run.work_dir, 'pruned.pth')
    report = osp.join(run.work_dir, 'export.json')
    tools.ok('deployment/hrank_export.py', config_file(config), run.checkpoint, '--out', out,
             '--eval', '--json', report, *config_runs.test_options(run))
    with open(report) as f:
        result = json.load(f)
    assert result['macs_after'] < result['macs_before']
    assert result['params_after'] < result['params_before']
    for key, value in result['masked'].items():  # removing zeroed filters changes nothing
        assert result['pruned'][key] == pytest.approx(value, abs=1e-6), key
    return result


def _rank(config, checkpoint, tools, config_runs, config_file, extra=None):
    """The rank file the config reads, from one batch of 2 training images."""
    cfg = config_runs.load(config)
    options = {k: v for k, v in config_runs.cpu_options(cfg).items()
               if k.startswith('train_dataloader.') and 'indices' not in k}
    options.update(extra or {})
    args = [checkpoint] if checkpoint else []
    tools.ok('analysis_tools/hrank_ranks.py', config_file(config), *args, '--out',
             cfg.model.rank_file, '--num-batches', 1,
             '--cfg-options', *(f'{k}={v}' for k, v in options.items()))


def _layerwise_options(config, config_runs, layers=4):
    """The paper's layer-by-layer schedule at one epoch (of 2 iterations) per layer instead
    of 30, over the first ``layers`` layers (groups); one validation at the end."""
    from mmrazor.registry import MODELS
    cfg = config_runs.load(config)
    hooks = [h.get('type') for h in cfg.custom_hooks]
    index = hooks.index('HRankHook')
    if cfg.custom_hooks[index].get('mode') != 'layerwise':
        return {}
    groups = min(len(MODELS.build(cfg.model).groups), layers)
    return {f'custom_hooks.{index}.epochs_per_layer': 1, 'train_cfg.max_epochs': groups,
            'train_cfg.val_interval': groups}


@pytest.mark.parametrize('config', sorted(PRUNING))
def test_prune_from_baseline(config, config_runs, tools, config_file):
    baseline = config_runs.train(PRUNING[config])
    _rank(config, baseline.checkpoint, tools, config_runs, config_file)
    run = config_runs.train(config, {'pretrained': baseline.checkpoint,
                                     **_layerwise_options(config, config_runs)})
    assert f'load model from: {baseline.checkpoint}' in run.log()
    config_runs.test(run)
    _export(config, run, tools, config_runs, config_file)


@pytest.mark.parametrize('config', sorted(PRUNING_PRETRAINED))
def test_prune_from_download(config, config_runs, tools, config_file, pretrained_cache):
    pretrained_cache(PRUNING_PRETRAINED[config])
    extra = DETECTION_OPTIONS if 'coco' in config else {}
    _rank(config, None, tools, config_runs, config_file,
          {k: v for k, v in extra.items() if k.startswith('train_')})
    run = config_runs.train(config, extra)
    config_runs.test(run, {k: v for k, v in extra.items() if k.startswith('test_')})
    _export(config, run, tools, config_runs, config_file)
