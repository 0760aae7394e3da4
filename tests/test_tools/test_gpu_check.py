"""tools/gpu_check.py on the CPU (--quick): every step runs, nothing fails, and the only
skips are the CUDA-only items; a failing check fails the run, a skip is not a pass."""
import json
import os.path as osp
import shutil

import pytest

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_gpu_check():
    return load_script(osp.join(ROOT, 'tools', 'gpu_check.py'), 'gpu_check')


@pytest.fixture(scope='module')
def gpu_check():
    return load_gpu_check()


def test_quick_cpu_run(gpu_check, tmp_path):
    code = gpu_check.main(['--device', 'cpu', '--quick', '--out', str(tmp_path)])
    report = json.load(open(tmp_path / 'gpu_check.json'))
    assert (tmp_path / 'gpu_check.md').read_text().count('| kernels |') > 5
    checks = report['checks']
    failed = [c for c in checks if c['status'] == 'failed']
    assert not failed, failed
    assert code == 0
    assert {c['step'] for c in checks} == {'kernels', 'modules', 'training'}
    assert set(report['step_wall_s']) == {'kernels', 'modules', 'training'}
    skipped = [c for c in checks if c['status'] == 'skipped']
    assert all(c['detail'].strip() for c in skipped)
    # on the CPU exactly the CUDA-only items skip: the CUDA build, FP16 timings, NCCL
    assert {c['check'] for c in skipped if 'FP16' not in c['check']} == {
        'build mmlean._ext with CUDA', 'dist_train.sh 1 process (nccl)'}
    assert all(c['check'].startswith('time ') for c in skipped if 'FP16' in c['check'])
    assert len(skipped) == 2 + sum('vs FP32' in c['check'] for c in checks)
    assert report['counts']['passed'] == len(checks) - len(skipped)
    # the checks that must have run
    names = {c['check'] for c in checks if c['status'] == 'passed'}
    assert 'resume bit-identical (demo)' in names
    assert 'dist_train.sh 1 process (gloo)' in names
    assert sum(n.startswith('binary_conv2d ') for n in names) == len(gpu_check.CONV_CASES)
    assert {c.name for c in gpu_check.MODULE_CASES} <= names


def test_failures_fail_the_run_and_skips_are_not_passes(gpu_check):
    runner = gpu_check.CheckRunner(echo=False)
    runner.run('s', 'ok', lambda: gpu_check.Outcome(True, '1'))
    assert runner.exit_code() == 0

    def cannot():
        raise gpu_check.Skip('no CUDA here')

    runner.run('s', 'skip', cannot)
    assert runner.results[-1]['status'] == 'skipped'
    assert runner.results[-1]['detail'] == 'no CUDA here'
    assert runner.counts() == dict(passed=1, failed=0, skipped=1)
    assert runner.exit_code() == 0

    def broken():
        raise ValueError('first line\nthe last line')

    runner.run('s', 'raises', broken)
    assert runner.results[-1]['status'] == 'failed'
    assert runner.results[-1]['detail'] == 'ValueError: the last line'
    assert runner.exit_code() == 1
    runner = gpu_check.CheckRunner(echo=False)
    runner.run('s', 'out of tolerance', lambda: gpu_check.Outcome(False, '2.0', '<= 1'))
    runner.run('s', 'not an outcome', lambda: True)
    assert [r['status'] for r in runner.results] == ['failed', 'failed']
    assert runner.exit_code() == 1


def test_module_cases_failing_comparison_and_skip(gpu_check, tmp_path):
    import torch
    env = gpu_check.Env('cpu', str(tmp_path), True)
    runner = gpu_check.CheckRunner(echo=False)
    calls = []

    def drifting(device):
        calls.append(device)
        return {'y': torch.ones(4) * (1.0 if len(calls) == 1 else 1.1)}

    def missing(device):
        gpu_check.require('no_such_package_for_gpu_check')

    cases = [gpu_check.ModuleCase('drift', drifting, gpu_check.Tol(1e-3, 0)),
             gpu_check.ModuleCase('missing', missing, gpu_check.Tol(0, 0))]
    try:
        gpu_check.step_modules(runner, env, cases)
    finally:
        shutil.rmtree(env.scratch, ignore_errors=True)
    assert [r['status'] for r in runner.results] == ['failed', 'skipped']
    assert 'no_such_package_for_gpu_check does not import' in runner.results[1]['detail']
    assert runner.exit_code() == 1


def test_bad_step_is_an_error(gpu_check):
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['--out', 'x', '--steps', 'kernels,nope'])
