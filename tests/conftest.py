import os

import pytest

# Keep tests on one thread where they time nothing: predictable on 2 shared cores.
os.environ.setdefault('OMP_NUM_THREADS', '1')

@pytest.fixture(scope='session')
def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
