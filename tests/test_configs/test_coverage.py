"""Every config a user can run (configs/, not _base_) has a test that trains, validates,
tests and exports it on data in its dataset's format: one of this folder's modules, or a
test elsewhere that runs it through the same tools (named here and checked to mention it)."""
import glob
import importlib.util
import os.path as osp

import pytest

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
MODULES = ['test_rbnn', 'test_hrank', 'test_cogd', 'test_nas', 'test_pams', 'test_iff',
           'test_tinyperson', 'test_nascount']
# configs on embedded data whose train + test (+ export) runs live with their method's
# learning, search or tool tests
ELSEWHERE = {
    'bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py':
        'tests/test_projects/test_bnas/test_search.py',
    'cpnas/cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py':
        'tests/test_projects/test_cpnas/test_search.py',
    'abanditnas/abanditnas_supernet-c8-l6_1xb64-search_digits.py':
        'tests/test_projects/test_abanditnas/test_search.py',
    'nascount/nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py':
        'tests/test_projects/test_nascount/test_search.py',
    'nascount/nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py':
        'tests/test_projects/test_nascount/test_learning.py',
    'tinyperson/demo/faster-rcnn_r18_fpn_1xb4-800i_synthetic-tinyperson.py':
        'tests/test_projects/test_tinyperson/test_detector.py',
}


def _runnable():
    return sorted(osp.relpath(p, osp.join(REPO, 'configs'))
                  for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                  if '_base_' not in p.split(osp.sep))


def _planned():
    planned = {}
    for name in MODULES:
        path = osp.join(HERE, f'{name}.py')
        spec = importlib.util.spec_from_file_location(f'_plan_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for config in module.CONFIGS:
            planned.setdefault(config, []).append(name)
    return planned


def test_every_runnable_config_has_a_test():
    planned = _planned()
    runnable = _runnable()
    assert not set(planned) - set(runnable), 'tests name configs that do not exist'
    missing = [c for c in runnable if c not in planned and c not in ELSEWHERE]
    assert not missing, f'configs without a real-data test: {missing}'


@pytest.mark.parametrize('config', sorted(ELSEWHERE))
def test_covered_elsewhere_is_run_there(config):
    with open(osp.join(REPO, ELSEWHERE[config])) as f:
        text = f.read()
    assert osp.basename(config) in text, f'{ELSEWHERE[config]} does not run {config}'
