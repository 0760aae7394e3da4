"""Fixtures of the config tests: one mini ``data/`` tree in the datasets' released formats,
shared by the whole run, and the README's commands (tools/train.py, tools/test.py and the
export tools) run in this process against it.

Running the tools in-process (their ``main(argv)``, the function the command line calls)
saves the import of the OpenMMLab stack per run; the working folder is the mini tree's
root, so each config reads its own ``data_root`` (``data/cifar10``, ``data/DIV2K``, ...)
as it would in a user's checkout.
"""
import contextlib
import importlib.util
import inspect
import io
import json
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FORMATS = _load_module(osp.join(osp.dirname(__file__), 'official_formats.py'),
                       'mmlean_tests_official_formats')


@pytest.fixture(scope='session')
def mini_root(tmp_path_factory):
    """A folder holding ``data/`` with every mini dataset in its released format, plus the
    files the README tells a user to derive from them (TinyPerson's tile files)."""
    root = tmp_path_factory.mktemp('mini_root')
    data = root / 'data'
    FORMATS.write_all(str(data))
    cut = _load_module(osp.join(REPO, 'tools', 'dataset_converters', 'tinyperson_cut.py'),
                       'mmlean_tools_tinyperson_cut')
    tiny = data / 'tiny_set'
    with contextlib.redirect_stdout(io.StringIO()):
        for src, dst in (
                ('erase_with_uncertain_dataset/annotations/task/tiny_set_train_all.json',
                 'erase_with_uncertain_dataset/annotations/corner/task/'
                 'tiny_set_train_sw640_sh512_all.json'),
                ('annotations/task/tiny_set_test_all.json',
                 'annotations/corner/task/tiny_set_test_sw640_sh512_all.json')):
            assert cut.main([str(tiny / src), str(tiny / dst)]) == 0
    return root


@pytest.fixture(scope='session')
def no_md5_check():
    """mmpretrain checks the md5 of the released CIFAR files; the mini files are in the
    same format but not the same bytes, so the check is switched off, in the tests only."""
    import mmpretrain.datasets.cifar as cifar
    patcher = pytest.MonkeyPatch()
    patcher.setattr(cifar, 'check_md5', lambda *args, **kwargs: True)
    yield
    patcher.undo()


class ToolRunner:
    """Runs ``tools/<script>.py`` in this process, in the mini tree's root, with ``argv``;
    returns ``(exit code, captured stderr)``."""

    def __init__(self, root):
        self.root = str(root)
        self._modules = {}

    def module(self, script):
        if script not in self._modules:
            name = 'mmlean_tools_' + script.replace('/', '_').replace('.py', '')
            self._modules[script] = _load_module(osp.join(REPO, 'tools', script), name)
        return self._modules[script]

    def __call__(self, script, *argv):
        module = self.module(script)
        old_cwd, old_argv = os.getcwd(), sys.argv
        err = io.StringIO()
        os.chdir(self.root)
        sys.argv = [script, *map(str, argv)]
        try:
            with _tee_stderr(err):
                takes_argv = bool(inspect.signature(module.main).parameters)
                code = module.main(list(map(str, argv))) if takes_argv else module.main()
        except SystemExit as exc:
            code = exc.code
        finally:
            os.chdir(old_cwd)
            sys.argv = old_argv
        return (code or 0), err.getvalue()

    def ok(self, script, *argv):
        code, err = self(script, *argv)
        assert code == 0, f'tools/{script} {" ".join(map(str, argv))} exited {code}: {err[-3000:]}'

    def metrics(self, path):
        with open(path) as f:
            return json.load(f)


@contextlib.contextmanager
def _tee_stderr(buffer):
    class Tee(io.TextIOBase):
        def write(self, text):
            buffer.write(text)
            return sys.__stderr__.write(text)

    old = sys.stderr
    sys.stderr = Tee()
    try:
        yield
    finally:
        sys.stderr = old


@pytest.fixture(scope='session')
def tools(mini_root, no_md5_check):
    return ToolRunner(mini_root)
