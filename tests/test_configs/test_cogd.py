"""CoGD channel-pruning configs (configs/cogd) on mini CIFAR-10 / ImageNet in their released
formats: each starts from its full-precision checkpoint (the baseline config's run, or the
cached download; ``--cfg-options pretrained=...``), trains its soft masks with CoGD, tests,
and CoGDHook's physically pruned export reloads (``load_pruned``) with fewer MACs."""
import os.path as osp

import pytest

# pruning config -> the config that trains the unpruned network it starts from
FROM_BASELINE = {
    'cogd/cogd_resnet56_1xb128-30e_cifar10.py': 'hrank/resnet56_1xb128-300e_cifar10.py',
    'cogd/cogd_resnet18_1xb128-30e_cifar10.py': 'cogd/resnet18_8xb16-200e_cifar10.py',
    'cogd/cogd_resnet20_1xb64-10e_digits.py': 'demo/resnet20_1xb64-15e_digits.py',
    'cogd/softmask-sgd_resnet20_1xb64-10e_digits.py': 'demo/resnet20_1xb64-15e_digits.py',
    # the evidence row's (the unpruned networks of the HRank row)
    'cogd/cogd_resnet20_1xb64-4e_digits-on-photos.py':
        'hrank/resnet20_1xb64-30e_digits-on-photos.py',
    'cogd/softmask-sgd_resnet20_1xb64-4e_digits-on-photos.py':
        'hrank/resnet20_1xb64-30e_digits-on-photos.py',
}
IMAGENET_R50 = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
FROM_DOWNLOAD = {f'cogd/cogd_resnet50-{r}_8xb32-90e_in1k.py': IMAGENET_R50
                 for r in ('0.35', '0.5', '0.75', '0.95')}
BASELINES = ['cogd/resnet18_8xb16-200e_cifar10.py']
CONFIGS = BASELINES + sorted(FROM_BASELINE) + sorted(FROM_DOWNLOAD)


def _check_export(run):
    """CoGDHook's export exists, reloads into the config's model, and is smaller."""
    import torch
    from mmrazor.registry import MODELS

    from mmlean.projects.cogd import load_pruned
    from mmlean.projects.hrank.flops import conv_linear_complexity
    path = osp.join(run.work_dir, 'pruned.pth')
    assert osp.isfile(path), f'{run.config}: CoGDHook wrote no {path}'
    algorithm = MODELS.build(run.cfg.model)
    pruned = load_pruned(algorithm, path)
    shape = tuple(algorithm.input_shape)
    macs0, params0 = conv_linear_complexity(algorithm.architecture, shape)
    macs1, params1 = conv_linear_complexity(pruned, shape)
    assert macs1 < macs0 and params1 < params0
    with torch.no_grad():  # (weights after 2 iterations on 4 images may hold NaN)
        out = pruned.eval()(torch.randn(1, *shape), mode='tensor')
    assert (out if torch.is_tensor(out) else out[-1]).shape == (1, pruned.head.fc.out_features)


@pytest.mark.parametrize('config', BASELINES)
def test_baseline(config, config_runs):
    assert 0 <= config_runs.test(config_runs.train(config))['accuracy/top1'] <= 100


@pytest.mark.parametrize('config', sorted(FROM_BASELINE))
def test_prune_from_baseline(config, config_runs):
    baseline = config_runs.train(FROM_BASELINE[config])
    run = config_runs.train(config, {'pretrained': baseline.checkpoint})
    assert f'load model from: {baseline.checkpoint}' in run.log()
    config_runs.test(run)
    _check_export(run)


@pytest.mark.parametrize('config', sorted(FROM_DOWNLOAD))
def test_prune_from_download(config, config_runs, pretrained_cache):
    pretrained_cache(FROM_DOWNLOAD[config])
    run = config_runs.train(config)
    config_runs.test(run)
    _check_export(run)
