"""Every config under configs/ parses and its model builds on the CPU."""
import glob
import os.path as osp

import pytest

import mmlean  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))


def test_there_are_configs():
    assert CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_model(path):
    from mmengine.registry import DefaultScope, init_default_scope

    from mmlean.utils.config import load_config
    cfg = load_config(path)
    assert 'model' in cfg, f'{path} defines no model'
    scope = cfg.get('default_scope', 'mmengine')
    init_default_scope(scope)
    registry = {
        'mmdet': 'mmdet.registry', 'mmpretrain': 'mmpretrain.registry',
        'mmagic': 'mmagic.registry', 'mmrazor': 'mmrazor.registry',
    }.get(scope, 'mmengine.registry')
    import importlib
    MODELS = importlib.import_module(registry).MODELS
    model = MODELS.build(cfg.model)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params > 0
    assert DefaultScope.get_current_instance().scope_name == scope
