"""tools/analysis_tools/evidence.py: kept runs are skipped, the method filter, and the report's
statistics against numpy."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'evidence', osp.join(ROOT, 'tools', 'analysis_tools', 'evidence.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _keep(tool, out, label, seed, accuracy):
    work_dir = osp.join(out, 'rbnn', f'{tool._slug(label)}_s{seed}')
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'result.json'), 'w') as f:
        json.dump(dict(row='rbnn', method=label, config='c.py', seed=seed, accuracy=accuracy),
                  f)


def test_kept_runs_are_skipped_and_reported(tmp_path, monkeypatch):
    tool, out = _tool(), str(tmp_path / 'evidence')
    base = {0: 60.0, 1: 62.0, 2: 61.0}
    rbnn = {0: 66.0, 1: 66.5, 2: 66.4}
    xnor = {0: 59.0, 1: 64.0, 2: 60.0}
    for seed in base:
        _keep(tool, out, 'sign/STE, learned scale', seed, base[seed])
        _keep(tool, out, 'RBNN', seed, rbnn[seed])
        _keep(tool, out, 'XNOR-style, scalar mean(|W|)', seed, xnor[seed])

    def no_training(*args, **kwargs):
        raise AssertionError('a kept run was trained again')

    monkeypatch.setattr(tool.subprocess, 'run', no_training)
    assert tool.main(['--rows', 'rbnn', '--methods', 'RBNN,sign-ste--learned-scale',
                      '--out', out]) == 0
    table = {e['method']: e for e in json.load(open(osp.join(out, 'report.json')))}
    assert set(table) == {'sign/STE, learned scale', 'RBNN', 'XNOR-style, scalar mean(|W|)'}
    values = np.array(list(rbnn.values()))
    assert table['RBNN']['mean'] == pytest.approx(values.mean())
    assert table['RBNN']['std'] == pytest.approx(values.std(ddof=1))
    paired = values - np.array(list(base.values()))
    assert table['RBNN']['diff'] == f'{paired.mean():+.2f} ± {paired.std(ddof=1):.2f} pts'
    assert table['RBNN']['reads'] == 'above the baseline'  # +5.3 +- 1.0
    assert table['XNOR-style, scalar mean(|W|)']['reads'] == 'within the spread'
    assert table['sign/STE, learned scale']['diff'] == ''  # the baseline itself
    assert osp.getsize(osp.join(out, 'report.png')) > 0


def test_unknown_rows_and_methods_are_named(tmp_path):
    tool = _tool()
    with pytest.raises(SystemExit, match="--rows: 'hrank' is not one of"):
        tool.main(['--rows', 'hrank', '--out', str(tmp_path)])
    with pytest.raises(SystemExit, match=r"--methods: \['XNOR'\] not among"):
        tool.main(['--rows', 'rbnn', '--methods', 'XNOR', '--out', str(tmp_path)])
