"""Every config under configs/ parses, and its datasets and metrics carry only arguments
their classes take: a key inherited from a base config that the new type does not know
(the digits ``image_size`` in a CIFAR-10 search, an ``Accuracy``'s ``topk`` under
``RobustAccuracy``) fails here, without building anything. (Every config's model is built,
trained and tested on mini data by the other modules of this folder.)"""
import glob
import inspect
import os.path as osp

import pytest

import mmlean  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))


def test_there_are_configs():
    assert CONFIGS


def accepted_arguments(cls):
    """Keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the MRO."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        names |= {n for n, p in params.items() if p.kind not in variadic}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return names
    return None  # **kwargs all the way: anything goes


def _class(registry, cfg, scope):
    name = cfg['type']
    if not isinstance(name, str):
        return name
    scope = cfg.get('_scope_', scope)
    return registry.get(name if '.' in name else f'{scope}.{name}') or registry.get(name)


def _parts(cfg):
    """(field, part config, registry name) of the datasets and metrics of a config."""
    from mmlean.utils.dataset_check import dataloader_cfgs

    def datasets(field, ds):
        if isinstance(ds, dict) and 'type' in ds:
            yield field, ds, 'DATASETS'
            if isinstance(ds.get('dataset'), dict):
                yield from datasets(f'{field}.dataset', ds['dataset'])
            for i, sub in enumerate(ds.get('datasets') or []):
                yield from datasets(f'{field}.datasets.{i}', sub)

    for field, loader in dataloader_cfgs(cfg):
        yield from datasets(f'{field}.dataset', loader['dataset'])
    for field in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(field)
        evaluators = evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]
        for i, ev in enumerate(evaluators):
            if not isinstance(ev, dict):
                continue
            metrics = ev.get('metrics') if ev.get('type') == 'Evaluator' else [ev]
            for j, metric in enumerate(metrics or []):
                if isinstance(metric, dict) and 'type' in metric:
                    yield f'{field}.{i}.{j}', metric, 'METRICS'


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_datasets_and_metrics_take_their_keys(path):
    import mmengine.registry as registries

    from mmlean.utils.config import load_config
    cfg = load_config(path)
    scope = cfg.get('default_scope', 'mmengine')
    checked = 0
    for field, part, registry in _parts(cfg):
        cls = _class(getattr(registries, registry), part, scope)
        assert cls is not None, f'{field}: {part["type"]} is not registered'
        accepted = accepted_arguments(cls)
        if accepted is None:
            continue
        foreign = sorted(k for k in part if k != 'type' and not k.startswith('_')
                         and k not in accepted)
        assert not foreign, f'{field} ({part["type"]}) has keys its class does not take: ' \
                            f'{foreign}'
        checked += 1
    assert checked or not cfg.get('train_dataloader'), 'nothing was checked'


@pytest.mark.parametrize('arch,scale,patch', [('edsr-x4', 4, 192), ('edsr-x2', 2, 96),
                                              ('rdn-x4', 4, 96), ('rdn-x2', 2, 96)])
@pytest.mark.parametrize('bits', ['w4a4', 'w8a8'])
def test_pams_training_configs_keep_the_official_augmentation(arch, scale, patch, bits):
    """The PAMS training configs share one pipeline definition (configs/pams/_base_/
    pams_schedule_30k.py); each resolves to the official run.sh patch and scale."""
    from mmengine.config import Config
    cfg = Config.fromfile(f'configs/pams/pams_{arch}c64b16-{bits}_1xb16-30k_div2k.py')
    steps = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    assert steps['PairedRandomCrop']['gt_patch_size'] == patch
    assert steps['SetValues']['dictionary'] == dict(scale=scale)
    assert cfg.model.generator.upscale_factor == scale
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadImageFromFile', 'SetValues', 'PairedRandomCrop', 'Flip',
        'Flip', 'RandomTransposeHW', 'PackInputs']
