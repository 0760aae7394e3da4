import os
import subprocess
import sys

import pytest

# Keep tests on one thread where they time nothing: predictable on 2 shared cores.
os.environ.setdefault('OMP_NUM_THREADS', '1')


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
