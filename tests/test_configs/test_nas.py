"""BNAS, CP-NAS and ABanditNAS configs (configs/{bnas,cpnas,abanditnas}) on mini CIFAR-10,
MNIST and ImageNet in their released formats. Each search runs its whole schedule, shortened
(one warm-up epoch, one sampling round per reduction, one iteration per sampled path), and
its ``fix_subnet.yaml`` feeds the matching retraining config (the override each config's
header documents); every retraining config trains, validates and tests, and the 1-bit
(W1A1) networks are deployed bit-packed."""
import json
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

# search config -> (retraining config, the keys its header says take the searched YAML)
SEARCHES = {
    'bnas/bnas_xnor-w1a32_supernet-c16-l8_1xb256-search_cifar10.py':
        ('bnas/bnas-xnor-c36l20-1w32a_1xb96-600e_cifar10.py', ['model.fix_subnet']),
    'cpnas/cpnas_xnor-w1a1_supernet-c16-l8_1xb256-search_cifar10.py':
        ('cpnas/cpnas_xnor-c36l20-w1a1_1xb96-600e_cifar10.py',
         ['model.architecture.fix_subnet', 'model.parent.fix_subnet']),
    'abanditnas/abanditnas_supernet-c16-l6_1xb96-search_cifar10.py':
        ('abanditnas/abanditnas-10_cifar1-c48l10_pgd7_1xb128-200e_cifar10.py',
         ['model.architecture.fix_subnet']),
    'bnas/bnas_xnor-w1a1-ucb_supernet-c16-l5_1xb64-search_digits.py':
        ('bnas/bnas_xnor-c16l5-w1a1_1xb64-30e_digits.py', ['model.fix_subnet']),
    'abanditnas/abanditnas_supernet-c16-l6_1xb128-search_mnist.py':
        ('abanditnas/abanditnas-6_c16l6-pgd40_1xb128-100e_mnist.py',
         ['model.architecture.fix_subnet']),
    # the evidence campaign's searches on the 16x16 digits-on-photos proxy
    'bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py':
        ('bnas/bnas_xnor-c16l5-w1a32_1xb64-15e_digits-on-photos16.py', ['model.fix_subnet']),
    'bnas/bnas_xnor-w1a1-ucb_supernet-c16-l5_1xb64-search_digits-on-photos16.py':
        ('bnas/bnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py', ['model.fix_subnet']),
    'abanditnas/abanditnas_supernet-c8-l6_1xb64-search_digits-on-photos16.py':
        ('abanditnas/abanditnas_c8l6-pgd7_1xb64-15e_digits-on-photos16.py',
         ['model.architecture.fix_subnet']),
    'cpnas/cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits-on-photos16.py':
        ('cpnas/cpnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py',
         ['model.architecture.fix_subnet', 'model.parent.fix_subnet']),
}
# retraining configs run as shipped (the published cells, or a second config of a search)
AS_SHIPPED = [
    'bnas/bnas-xnor-c36l20-1w1a_1xb96-600e_cifar10.py',
    'bnas/bnas-xnor-c44l20-1w1a_1xb96-600e_cifar10.py',
    'bnas/bnas-xnor-c44l20-1w32a_1xb96-600e_cifar10.py',
    'bnas/bnas-xnor-c48l14-1w32a_1xb128-250e_in1k.py',
    'bnas/bnas-fp_c16l5_1xb64-30e_digits.py',
    'bnas/bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py',
    'cpnas/cpnas_xnor-c16l5-w1a1_1xb64-30e_digits.py',
    'cpnas/cpnas_xnor-c48l14-w1a1_1xb128-250e_in1k.py',
    'cpnas/cpnas-fp-parent_c16l5_1xb64-30e_digits.py',
    'abanditnas/abanditnas-10_cifar2-c48l10_pgd7_1xb128-200e_cifar10.py',
    'abanditnas/resnet20_pgd7_1xb64-30e_digits.py',
    'abanditnas/abanditnas_c8l6-pgd7_1xb64-30e_digits.py',
]
# the other searches on scikit-learn's digits are run (shortened, with export and resume) by
# tests/test_projects/test_{bnas,cpnas,abanditnas}/test_search.py
# a digits search splits the digits by image counts (indices): 4 images each here
DIGITS_SEARCH_SPLIT = {'train_dataloader.dataset.indices': 4,
                       'train_cfg.mutator_dataloader.dataset.indices': -4,
                       'train_cfg.eval_dataloader.dataset.indices': -4}
OFFICIAL_EVAL = {a: f'abanditnas/abanditnas-10_{a}-c48l10_official-eval_cifar10.py'
                 for a in ('cifar1', 'cifar2')}
CONFIGS = sorted(SEARCHES) + sorted(r for r, _ in SEARCHES.values()) + AS_SHIPPED + sorted(
    OFFICIAL_EVAL.values())


def _is_w1a1(cfg):
    text = json.dumps(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model,
                      default=str)
    return '"binary_activation": true' in text.lower() or 'RBNN' in text


def _train_test_deploy(config, config_runs, tools, config_file, extra=None):
    run = config_runs.train(config, extra)
    metrics = config_runs.test(run)
    assert any(k.startswith('accuracy') or k.startswith('robust') for k in metrics), metrics
    if not _is_w1a1(run.cfg):
        return run
    out, report = osp.join(run.work_dir, 'deploy.pth'), osp.join(run.work_dir, 'deploy.json')
    size = 28 if 'mnist' in config else 16 if 'digits' in config else 32
    tools.ok('deployment/binary_deploy.py', config_file(config), run.checkpoint, '--out', out,
             '--eval', '--json', report, '--input-size', size,
             *config_runs.test_options(run), *_extra_argv(extra))
    with open(report) as f:
        result = json.load(f)
    assert result['converted_layers'] > 0
    assert result['deploy_bytes'] < result['float_state_dict_bytes']
    for key, value in result['simulated'].items():
        assert result['deploy'][key] == pytest.approx(value, abs=1e-6), key
    return run


def _digits_split(path):
    """DIGITS_SEARCH_SPLIT for the loaders the search has (ABanditNAS has no eval loader);
    a split wrapped in a RepeatDataset (more renders per epoch) is taken once."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    options = {}
    for key, value in DIGITS_SEARCH_SPLIT.items():
        loader = key[:-len('.dataset.indices')]
        if loader.startswith('train_cfg.') and loader.split('.')[1] not in cfg.train_cfg:
            continue
        dataset = cfg
        for part in key.split('.')[:-1]:
            dataset = dataset[part]
        if dataset.get('type') == 'RepeatDataset':
            options[f'{loader}.dataset.times'] = 1
            key = f'{loader}.dataset.dataset.indices'
        options[key] = value
    return options


def _extra_argv(extra):
    return [f'{k}={v}' for k, v in (extra or {}).items()]


@pytest.mark.parametrize('search', sorted(SEARCHES))
def test_search_then_retrain(search, config_runs, tools, config_file):
    run = config_runs.train(search, _digits_split(config_file(search)) if 'digits' in search
                            else None)
    subnet = osp.join(run.work_dir, 'fix_subnet.yaml')
    assert osp.isfile(subnet), f'{search}: the search wrote no fix_subnet.yaml'
    retrain, keys = SEARCHES[search]
    _train_test_deploy(retrain, config_runs, tools, config_file, {k: subnet for k in keys})


def _official_layout(name):
    path = osp.join(osp.dirname(osp.dirname(__file__)), 'test_tools', f'test_{name}_official.py')
    return load_script(path, f'{name}_official_layout')


@pytest.mark.parametrize('arch, c', [('xnor', 36), ('xnor-larger', 44)])
def test_released_bnas_converts_and_tests(arch, c, config_runs, tools, tmp_path):
    """The user's two commands for a released BNAS network: the converter, then
    tools/test.py with the evaluation config (on mini CIFAR-10)."""
    import torch
    state = _official_layout('bnas').official_state(c)
    src, dst = str(tmp_path / 'XNOR.pth.tar'), str(tmp_path / 'converted.pth')
    torch.save({f'module.{k}': v for k, v in state.items()}, src)
    tools.ok('model_converters/bnas_official.py', src, dst, '--arch', arch)
    config = f'bnas/bnas-xnor-c{c}l20-1w32a_1xb96-600e_cifar10.py'
    assert 0 <= config_runs.test_checkpoint(config, dst, tmp_path)['accuracy/top1'] <= 100


@pytest.mark.parametrize('arch', ['cifar1', 'cifar2'])
def test_released_abanditnas_converts_and_tests(arch, config_runs, tools, tmp_path):
    """The converter, then tools/test.py with the official attacks (on mini CIFAR-10)."""
    import torch
    layout = _official_layout('abanditnas')
    genotype, manual = layout.ARCHS[arch]
    state = layout.official_state(genotype, manual)
    src, dst = str(tmp_path / 'ABANDIT.pth.tar'), str(tmp_path / 'converted.pth')
    torch.save({'model': {f'module.{k}': v for k, v in state.items()}}, src)
    tools.ok('model_converters/abanditnas_official.py', src, dst, '--arch', arch)
    metrics = config_runs.test_checkpoint(OFFICIAL_EVAL[arch], dst, tmp_path)
    assert {'clean', 'MI-FGSM-10', 'PGD-7', 'PGD-20'} <= {k.split('/')[-1] for k in metrics}


@pytest.mark.parametrize('config', AS_SHIPPED)
def test_retrain_as_shipped(config, config_runs, tools, config_file):
    _train_test_deploy(config, config_runs, tools, config_file)
