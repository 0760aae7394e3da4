"""Fixtures of the config tests: one mini ``data/`` tree in the datasets' released formats,
shared by the whole run, and the README's commands (tools/train.py, tools/test.py and the
export tools) run in this process against it.

Running the tools in-process (their ``main(argv)``, the function the command line calls)
saves the import of the OpenMMLab stack per run; the working folder is the mini tree's
root, so each config reads its own ``data_root`` (``data/cifar10``, ``data/DIV2K``, ...)
as it would in a user's checkout.
"""
import contextlib
import glob
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
    same format but not the same bytes, so the check is switched off, in the tests only.

    Also (test speed only): mmengine prints and dumps each run's config through yapf, which
    takes seconds to tens of seconds on the large mmagic configs; here the config text is
    written unformatted (still valid Python)."""
    import mmengine.config.config as mmengine_config
    import mmpretrain.datasets.cifar as cifar
    patcher = pytest.MonkeyPatch()
    patcher.setattr(cifar, 'check_md5', lambda *args, **kwargs: True)
    patcher.setattr(mmengine_config, 'FormatCode', lambda text, **kwargs: (text, False))
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


def config_path(rel):
    """Absolute path of ``configs/<rel>``."""
    return osp.join(REPO, 'configs', rel)


# The only changes a config gets for the CPU (stated by the tests): training batch 2, no
# worker processes, the digits-on-photos test set rendered once per digit, and a short
# schedule: 2 iterations (an epoch of 4 training images), or,
# for the searches, one warm-up epoch (if any), one sampling round, one iteration per path,
# no supernet epochs between reductions (and the checkpoint of the last step only).
SEARCH_LOOP_OPTIONS = {
    'train_cfg.sample_train_iters': 1, 'train_cfg.calibrate_sample_num': 4,
    'train_cfg.eval_max_iters': 1, 'model.mutator.scorer.rounds': 1,
}


def cpu_options(cfg, train=True):
    """``--cfg-options`` that make a config's run fit the CPU and the mini data."""
    from mmlean.utils.dataset_check import dataloader_cfgs
    options = {}
    for field, loader in dataloader_cfgs(cfg):
        is_train = field == 'train_dataloader' or field.startswith('train_cfg.')
        if is_train != train and not (train and field.startswith('val_dataloader')):
            continue
        if is_train:
            options[f'{field}.batch_size'] = 2
        options[f'{field}.num_workers'] = 0
        dataset = loader.get('dataset', {})
        if dataset.get('type') == 'DigitsOnPhotosDataset' and dataset.get('split') == 'test':
            options[f'{field}.dataset.renders_per_digit'] = 1  # 360 of the 3,240 renders
        if 'persistent_workers' in loader:
            options[f'{field}.persistent_workers'] = False
    if not train:
        return options
    loop = cfg.get('train_cfg') or {}
    loop_type = str(loop.get('type', '')).split('.')[-1]
    if loop_type == 'SampleReduceSearchLoop':
        options.update(SEARCH_LOOP_OPTIONS)
        if loop.get('warmup_epochs', 0) > 0:  # one warm-up epoch, with architecture updates
            options.update({'train_cfg.warmup_epochs': 1, 'train_cfg.arch_start': 0})
        if loop.get('epochs_between', 0) > 0:  # (the digits search tests run them)
            options['train_cfg.epochs_between'] = 0
        # every search step is an epoch: keep the last checkpoint only (saving the supernet
        # at each of ~50 short steps would cost more than the steps)
        options['default_hooks.checkpoint.interval'] = 1000
    elif 'max_iters' in loop:
        options.update({'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2})
    elif 'max_epochs' in loop:
        options['train_cfg.max_epochs'] = 1
        if 'val_interval' in loop:
            options['train_cfg.val_interval'] = 1
        dataset = cfg.train_dataloader.dataset
        if 'dataset' not in dataset and 'datasets' not in dataset:
            options['train_dataloader.dataset.indices'] = 4  # 2 iterations at batch 2
        elif 'times' in dataset:  # a RepeatDataset: the mini set once
            options['train_dataloader.dataset.times'] = 1
    return options


def _argv_options(options):
    return ['--cfg-options', *(f'{k}={v}' for k, v in options.items())] if options else []


class Run:
    """A finished ``tools/train.py`` run: its config, work dir and last checkpoint."""

    def __init__(self, config, work_dir, checkpoint, cfg):
        self.config, self.work_dir, self.checkpoint, self.cfg = config, work_dir, checkpoint, cfg

    def log(self):
        logs = sorted(glob.glob(osp.join(self.work_dir, '*', '*.log')))
        with open(logs[-1]) as f:
            return f.read()


class ConfigRuns:
    """The README's commands on the configs, against the mini data: ``train`` (memoized:
    a run that another test builds on is trained once), ``test`` and export tools."""

    def __init__(self, tools, root):
        self.tools, self.root = tools, str(root)
        self._runs = {}

    cpu_options = staticmethod(cpu_options)
    resize_options = staticmethod(lambda *a, **k: resize_options(*a, **k))
    score_threshold_options = staticmethod(lambda cfg: score_threshold_options(cfg))

    def load(self, config, options=None):
        from mmlean.utils.config import load_config
        return load_config(config_path(config), options)

    def train(self, config, extra=None, name=None) -> Run:
        """``tools/train.py`` on ``configs/<config>`` with the CPU options and ``extra``
        (options a test states, e.g. the checkpoint a pruning config starts from)."""
        key = (config, tuple(sorted((extra or {}).items())))
        if key in self._runs:
            return self._runs[key]
        options = cpu_options(self.load(config))
        options.update(extra or {})
        work_dir = osp.join(self.root, 'work_dirs',
                            name or osp.splitext(osp.basename(config))[0])
        # at batch 2, the learning rate scaled from the config's batch (the linear rule, as
        # --auto-scale-lr does for a user's smaller batch), where the config states its batch
        scale = ['--auto-scale-lr'] if (self.load(config).get('auto_scale_lr') or {}).get(
            'base_batch_size') else []
        self.tools.ok('train.py', config_path(config), '--work-dir', work_dir, *scale,
                      *_argv_options(options))
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            # relative to where the command ran (mmagic's configs save to ./work_dirs/<name>)
            checkpoint = osp.join(self.root, f.read().strip())
        assert osp.isfile(checkpoint), checkpoint
        run = Run(config, work_dir, checkpoint, self.load(config, options))
        if run.cfg.get('val_dataloader') and run.cfg.get('val_cfg') is not None:
            assert '(val)' in run.log(), f'{config}: no validation ran during training'
        self._runs[key] = run
        return run

    def test(self, run, extra=None, boxes_optional=False) -> dict:
        """``tools/test.py`` on the run's checkpoint; returns the metrics.

        ``boxes_optional``: a detector that found no box after its 2 iterations gets no
        COCO metrics from mmdet's CocoMetric (it logs that the results are empty); the
        evaluation still ran, which the log shows."""
        options = cpu_options(run.cfg, train=False)
        options.update(extra or {})
        out = osp.join(run.work_dir, 'test_metrics.json')
        self.tools.ok('test.py', config_path(run.config), run.checkpoint, '--work-dir',
                      osp.join(run.work_dir, 'test'), '--out', out, *_argv_options(options))
        with open(out) as f:
            metrics = json.load(f)
        if not metrics and boxes_optional:
            logs = glob.glob(osp.join(run.work_dir, 'test', '*', '*.log'))
            with open(sorted(logs)[-1]) as f:
                assert 'testing results of the whole dataset is empty' in f.read()
            return metrics
        assert metrics, f'{run.config}: tools/test.py gave no metrics'
        return metrics

    def test_checkpoint(self, config, checkpoint, work_dir, extra=None) -> dict:
        """``tools/test.py`` on a checkpoint that no run here wrote (a converted one)."""
        return self.test(Run(config, str(work_dir), checkpoint, self.load(config)), extra)

    def test_options(self, run):
        return _argv_options(cpu_options(run.cfg, train=False))

    def eval_options(self, config):
        """The evaluation ``--cfg-options`` of a config (no run of it needed)."""
        return _argv_options(cpu_options(self.load(config), train=False))


@pytest.fixture(scope='session')
def config_runs(tools, mini_root):
    return ConfigRuns(tools, mini_root)


@pytest.fixture(scope='session')
def config_file():
    return config_path


def _with_bn_statistics(model, forward):
    """Give a randomly initialised network the BatchNorm statistics of its own activations
    (a few random batches, cumulative averages). Detectors keep a backbone's BN frozen
    (``norm_eval``): with the default statistics (mean 0, variance 1) a random ResNet-50's
    activations grow through the 50 layers until the heads' scores saturate, which a real
    pretrained file does not do."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            forward(torch.randn(4, 3, 64, 64))
    return model


def _pretrained_state(name):
    """Random weights with the keys of the released file ``name`` points at."""
    if name == 'torchvision://resnet50':
        import torchvision
        model = torchvision.models.resnet50()
        return _with_bn_statistics(model, model).state_dict()
    if name == 'open-mmlab://detectron/resnet50_caffe':
        from mmdet.models.backbones import ResNet
        model = ResNet(depth=50, style='caffe', norm_eval=False)
        return _with_bn_statistics(model, model).state_dict()
    if name == 'open-mmlab://vgg16_caffe':
        from mmdet.models.backbones import SSDVGG
        return SSDVGG(depth=16, with_last_pool=False, ceil_mode=True,
                      out_indices=(3, 4), out_feature_indices=(22, 34)).state_dict()
    if name.startswith('https://download.openmmlab.com/mmclassification/v0/resnet/resnet50'):
        from mmengine.registry import DefaultScope
        from mmpretrain.models import ImageClassifier
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = ImageClassifier(backbone=dict(type='ResNet', depth=50),
                                    neck=dict(type='GlobalAveragePooling'),
                                    head=dict(type='LinearClsHead', num_classes=1000,
                                              in_channels=2048))
        model = _with_bn_statistics(model, lambda x: model(x, mode='tensor'))
        return {'meta': {}, 'state_dict': model.state_dict()}
    raise KeyError(f'no stand-in for the pretrained weights {name}')


def _download_url(name):
    from mmengine.runner.checkpoint import get_external_models, get_torchvision_models
    if name.startswith('torchvision://'):
        return get_torchvision_models()[name[len('torchvision://'):]]
    if name.startswith('open-mmlab://'):
        return get_external_models()[name[len('open-mmlab://'):]]
    return name


@pytest.fixture(scope='session')
def pretrained_cache(mini_root):
    """``ensure(name)``: the file a download of the pretrained weights ``name``
    (``torchvision://...``, ``open-mmlab://...`` or a URL) leaves in torch's hub cache
    (``$TORCH_HOME/hub/checkpoints/<file>``), holding random values under the released
    file's keys. No machine here reaches the internet; with the file cached, a config's
    ``init_cfg`` loads it as it would after a first download."""
    import torch
    home = osp.join(str(mini_root), 'torch_home')
    patcher = pytest.MonkeyPatch()
    patcher.setenv('TORCH_HOME', home)

    def ensure(name):
        path = osp.join(home, 'hub', 'checkpoints', osp.basename(_download_url(name)))
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            torch.manual_seed(0)
            torch.save(_pretrained_state(name), path)
        return path

    yield ensure
    patcher.undo()


# the embedded data sets of the demo / proxy configs, written by the project's own tools
# (their formats are the released ones: COCO json, TinyPerson json, ShanghaiTech layout, SR
# folders), small
EMBEDDED = {
    'skimage_sr': [('dataset_converters/skimage_sr.py', '--out', 'data/skimage_sr',
                    '--scale', 2, '--step', 192),
                   ('dataset_converters/skimage_sr.py', '--out', 'data/skimage_sr',
                    '--scale', 4, '--step', 192)],
    'synthetic_crowd': [('nascount/synthetic_crowd.py', '--out', 'data/synthetic_crowd',
                         '--train', 8, '--test', 2, '--max-count', 30)],
    'shapes_coco': [('dataset_converters/synthetic_shapes_coco.py', '--out',
                     'data/shapes_coco', '--train', 4, '--val', 2)],
    'synthetic_tinyperson': [
        ('dataset_converters/synthetic_tinyperson.py', '--out', 'data/synthetic_tinyperson',
         '--train', 2, '--test', 2),
        ('dataset_converters/tinyperson_cut.py',
         'data/synthetic_tinyperson/annotations/task/tiny_set_train_all.json',
         'data/synthetic_tinyperson/annotations/corner/task/tiny_set_train_sw320_sh256_all.json',
         '--tile', 320, 256, '--overlap', 50, 50)],
}


@pytest.fixture(scope='session')
def embedded_data(tools):
    """``ensure(name)``: the embedded data set ``name`` under the mini root's ``data/``."""
    done = set()

    def ensure(name):
        if name not in done:
            for script, *argv in EMBEDDED[name]:
                tools.ok(script, *argv)
            done.add(name)
    return ensure


def resize_options(cfg, fields=('train_dataloader', 'val_dataloader', 'test_dataloader'),
                   **value):
    """``--cfg-options`` that set ``value`` (``scale=(w, h)`` or ``scale_factor=s``) on every
    ``Resize`` of the pipelines of ``fields`` that already has that key: the detection
    configs' image size, reduced for the CPU."""
    from mmlean.utils.dataset_check import dataloader_cfgs
    (key, new), = value.items()
    options = {}

    def visit(path, ds):
        for i, step in enumerate(ds.get('pipeline') or []):
            if str(step.get('type', '')).split('.')[-1] == 'Resize' and key in step:
                options[f'{path}.pipeline.{i}.{key}'] = new
        if isinstance(ds.get('dataset'), dict):
            visit(f'{path}.dataset', ds['dataset'])
        for j, sub in enumerate(ds.get('datasets') or []):
            visit(f'{path}.datasets.{j}', sub)

    for field, loader in dataloader_cfgs(cfg):
        if field.startswith(fields):
            visit(f'{field}.dataset', loader['dataset'])
    return options


def score_threshold_options(cfg):
    """``--cfg-options`` setting every ``score_thr`` of ``model.test_cfg`` to 0: a detector
    trained 2 iterations scores below the configs' thresholds, and the COCO / TinyPerson
    metrics need boxes to score (mmdet's CocoMetric reports nothing for an empty result)."""
    options = {}

    def visit(path, node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'score_thr':
                    options[f'{path}.{key}'] = 0.0
                else:
                    visit(f'{path}.{key}', value)

    model = cfg.model
    while 'test_cfg' not in model and isinstance(model.get('architecture'), dict):
        model = model['architecture']
    path = 'model' if model is cfg.model else 'model.architecture'
    visit(f'{path}.test_cfg', model.get('test_cfg') or {})
    if not options and isinstance(model.get('bbox_head'), dict):  # heads holding test_cfg
        visit(f'{path}.bbox_head.test_cfg', model['bbox_head'].get('test_cfg') or {})
    return options
