import os
import subprocess
import sys
import tempfile

import pytest

# Keep tests on one thread where they time nothing: predictable on 2 shared cores.
os.environ.setdefault('OMP_NUM_THREADS', '1')
# deployments time their kernel forms once and cache the choice; tests keep their own cache
# (inherited by the tools they run) instead of the user's ~/.cache/mmlean
os.environ['MMLEAN_CACHE_DIR'] = tempfile.mkdtemp(prefix='mmlean-test-cache-')


@pytest.fixture(scope='session')
def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def run_python(repo_root):
    """Run ``python ARGS...`` in the repository root (one thread); returns the CompletedProcess."""
    def run(*args, timeout=900):
        env = dict(os.environ, OMP_NUM_THREADS='1')
        return subprocess.run([sys.executable, *args], cwd=repo_root, capture_output=True,
                              text=True, env=env, timeout=timeout)
    return run


@pytest.fixture(scope='session')
def run_command(repo_root):
    """Run a command (program and arguments) in the repository root on ``threads`` threads.

    With ``check`` (the default) the command must exit 0; the failure shows the tails of its
    output. Returns the CompletedProcess."""
    def run(*args, env=None, threads=1, timeout=1800, check=True):
        full_env = dict(os.environ, OMP_NUM_THREADS=str(threads), **(env or {}))
        out = subprocess.run(list(args), cwd=repo_root, capture_output=True, text=True,
                             env=full_env, timeout=timeout)
        if check:
            assert out.returncode == 0, (args, out.stdout[-2000:], _cause_lines(out.stderr),
                                         out.stderr[-3000:])
        return out
    return run


def _cause_lines(stderr, limit=20):
    """The lines of a failed command's stderr that usually name the cause (a worker's
    exception or C++ abort), which the tail of a torchrun error summary hides."""
    marks = ('Error', 'error:', 'terminate called', 'what():', 'Exception', 'Traceback')
    lines = [line for line in stderr.splitlines() if any(m in line for m in marks)]
    return '\n'.join(lines[:limit])


@pytest.fixture(scope='session')
def checkpoint_weights():
    """``state_dict`` of a checkpoint file, loaded with the weights-only allow-list."""
    def load(path):
        from mmlean.compat.checkpoint import safe_load
        return safe_load(path)['state_dict']
    return load


@pytest.fixture(scope='session')
def train_then_test(run_command):
    """``tools/train.py CONFIG`` then ``tools/test.py CONFIG WORK_DIR/CHECKPOINT``; returns the
    test metrics (a dict). The options go to ``--cfg-options``."""
    def run(config, work_dir, checkpoint, train_options=(), test_options=(), threads=2):
        import json
        import os.path as osp
        train = ['--cfg-options', *train_options] if train_options else []
        test = ['--cfg-options', *test_options] if test_options else []
        run_command(sys.executable, 'tools/train.py', config, '--work-dir', str(work_dir),
                    *train, threads=threads)
        out = osp.join(work_dir, 'metrics.json')
        run_command(sys.executable, 'tools/test.py', config, osp.join(work_dir, checkpoint),
                    '--work-dir', str(work_dir), '--out', out, *test, threads=threads)
        with open(out) as f:
            return json.load(f)
    return run


@pytest.fixture(scope='session')
def train_then_test_each(train_then_test):
    """:func:`train_then_test` for each of ``{name: (config, work_dir, checkpoint,
    train_options, test_options)}``, two runs at a time on one thread each (small models use
    two cores better as two processes); returns ``{name: metrics}``."""
    def run(jobs):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {name: pool.submit(train_then_test, *job, threads=1)
                       for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}
    return run
