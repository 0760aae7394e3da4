"""RBNN configs (configs/rbnn) on mini CIFAR-10 / ImageNet in their released formats: train,
validate, test, and the bit-packed deployment of the trained binary network."""
import json
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

BINARY = [
    'rbnn/rbnn_resnet18-1w1a_1xb256-1000e_cifar10.py',
    'rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py',
    'rbnn/rbnn_resnet20-bireal-1w1a_1xb256-1000e_cifar10.py',
    'rbnn/rbnn_vgg-small-1w1a_1xb256-1000e_cifar10.py',
    'rbnn/rbnn_mmpretrain-resnet18-1w1a_8xb32-100e_in1k.py',
    'rbnn/rbnn_resnet18-bireal-1w1a_4xb128-150e_in1k.py',
    'rbnn/rbnn_resnet34-bireal-1w1a_4xb128-150e_in1k.py',
    'rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py',
    'rbnn/bnn_resnet20-1w1a_1xb64-40e_digits.py',
    'rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py',
    'rbnn/bnn_resnet20-1w1a_1xb64-40e_digits-on-photos.py',
    'rbnn/xnor_resnet20-1w1a_1xb64-40e_digits-on-photos.py',
]
FULL_PRECISION = ['rbnn/resnet20-fp_1xb64-40e_digits.py',
                  'rbnn/resnet20-fp_1xb64-40e_digits-on-photos.py']
# binary twins started from the full-precision twin's checkpoint (``pretrained=``)
FROM_FP = [f'rbnn/{b}_resnet20-1w1a-from-fp_1xb64-20e_digits-on-photos.py'
           for b in ('rbnn', 'bnn', 'xnor')] + [
    'rbnn/rbnn_resnet20-1w1a-from-fp-clip10_1xb64-20e_digits-on-photos.py']
# a released model: converter arch -> the config tools/test.py evaluates it with
RELEASED = {
    'resnet20': 'rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py',
    'resnet20-bireal': 'rbnn/rbnn_resnet20-bireal-1w1a_1xb256-1000e_cifar10.py',
    'resnet18': 'rbnn/rbnn_resnet18-1w1a_1xb256-1000e_cifar10.py',
    'vgg-small': 'rbnn/rbnn_vgg-small-1w1a_1xb256-1000e_cifar10.py',
    'resnet18-imagenet': 'rbnn/rbnn_resnet18-bireal-1w1a_official-eval_in1k.py',
    'resnet34-imagenet': 'rbnn/rbnn_resnet34-bireal-1w1a_official-eval_in1k.py',
}
CONFIGS = BINARY + FULL_PRECISION + FROM_FP + sorted(set(RELEASED.values()) - set(BINARY))


@pytest.mark.parametrize('config', BINARY)
def test_train_test_deploy(config, config_runs, tools, config_file):
    run = config_runs.train(config)
    metrics = config_runs.test(run)
    assert 0 <= metrics['accuracy/top1'] <= 100
    out = osp.join(run.work_dir, 'deploy.pth')
    report = osp.join(run.work_dir, 'deploy.json')
    tools.ok('deployment/binary_deploy.py', config_file(config), run.checkpoint,
             '--out', out, '--eval', '--json', report, *config_runs.test_options(run))
    with open(report) as f:
        result = json.load(f)
    assert result['converted_layers'] > 0 and osp.getsize(out) == result['deploy_bytes']
    assert result['deploy_bytes'] < result['float_state_dict_bytes']
    # the bit-packed engine computes the simulated network's outputs: same accuracy
    assert result['deploy']['accuracy/top1'] == pytest.approx(
        result['simulated']['accuracy/top1'], abs=1e-6)


def _official_layout_writer():
    path = osp.join(osp.dirname(osp.dirname(__file__)), 'test_tools', 'test_rbnn_official.py')
    module = load_script(path, 'rbnn_official_layout')
    return module.write_official


@pytest.mark.parametrize('arch', sorted(RELEASED))
def test_released_model_converts_and_tests(arch, config_runs, tools, config_file, tmp_path):
    """The user's two commands for a released model: the converter, then tools/test.py
    (ImageNet: with the official-eval config, PIL resizing as the official evaluation)."""
    import torch
    src, dst = str(tmp_path / 'model_best.pth.tar'), str(tmp_path / 'converted.pth')
    _official_layout_writer()(src, arch, torch.Generator().manual_seed(1))
    tools.ok('model_converters/rbnn_official.py', src, dst, '--arch', arch)
    metrics = config_runs.test_checkpoint(RELEASED[arch], dst, tmp_path)
    assert 0 <= metrics['accuracy/top1'] <= 100
    # and its bit-packed deployment scores as the converted model does
    report = str(tmp_path / 'deploy.json')
    options = config_runs.eval_options(RELEASED[arch])
    tools.ok('deployment/binary_deploy.py', config_file(RELEASED[arch]), dst,
             '--out', str(tmp_path / 'deploy.pth'), '--eval', '--json', report, *options)
    with open(report) as f:
        result = json.load(f)
    assert result['deploy']['accuracy/top1'] == pytest.approx(
        result['simulated']['accuracy/top1'], abs=1e-6)


@pytest.mark.parametrize('config', FULL_PRECISION)
def test_train_test(config, config_runs):
    metrics = config_runs.test(config_runs.train(config))
    assert 0 <= metrics['accuracy/top1'] <= 100


@pytest.mark.parametrize('config', FROM_FP)
def test_binary_twin_starts_from_the_full_precision_twin(config, config_runs, tools,
                                                         config_file):
    """The twin's latent weights are the full-precision checkpoint's and its scales are
    recomputed from them (not left from the random init); it then trains, tests and
    deploys bit-packed like the other binary configs."""
    import torch
    from mmengine.registry import MODELS, init_default_scope
    fp = config_runs.train('rbnn/resnet20-fp_1xb64-40e_digits-on-photos.py')
    cfg = config_runs.load(config, {'pretrained': fp.checkpoint})
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = torch.load(fp.checkpoint, map_location='cpu', weights_only=True)['state_dict']
    conv = model.architecture.backbone.layer2[1].conv1
    weight = state['backbone.layer2.1.conv1.weight']
    assert torch.equal(conv.weight.detach(), weight)
    if conv.scale is not None:
        assert torch.allclose(conv.scale.detach().flatten(), weight.abs().mean(dim=(1, 2, 3)))
    run = config_runs.train(config, {'pretrained': fp.checkpoint})
    assert f'load model from: {fp.checkpoint}' in run.log()
    out, report = osp.join(run.work_dir, 'deploy.pth'), osp.join(run.work_dir, 'deploy.json')
    tools.ok('deployment/binary_deploy.py', config_file(config), run.checkpoint,
             '--out', out, '--eval', '--json', report, *config_runs.test_options(run))
    with open(report) as f:
        result = json.load(f)
    assert result['deploy']['accuracy/top1'] == pytest.approx(
        result['simulated']['accuracy/top1'], abs=1e-6)


def _lr_per_epoch(cfg, iters_per_epoch):
    """The LR of each epoch (its last iteration) under the config's schedulers, stepped as
    mmengine's ParamSchedulerHook steps them (iteration-based each iteration, epoch-based
    after each epoch)."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS
    wrapper = build_optim_wrapper(torch.nn.Linear(1, 1), cfg.optim_wrapper)
    schedulers = []
    for spec in cfg.param_scheduler:
        spec = dict(spec)
        assert not spec.pop('convert_to_iter_based', False)
        schedulers.append(PARAM_SCHEDULERS.build(dict(spec, optimizer=wrapper)))
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        for _ in range(iters_per_epoch):
            lr = wrapper.param_groups[0]['lr']
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        lrs.append(lr)
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize('config', FROM_FP)
def test_compressed_schedule_keeps_the_papers_lr_at_each_t(config, config_file):
    """RBNN's t (and k) follow the epoch fraction, so a shorter run keeps the paper's
    pairing of LR and t only if its LR schedule is compressed with it: at each epoch e of
    the 20-epoch run (t = t(e / 20)), the LR is the 1000-epoch paper config's LR at epoch
    50 e (same t). Keeping 5 whole warm-up epochs in 20 put the LR at t = 5 1.8x higher,
    and RBNN diverged there (see the config)."""
    from mmengine.config import Config
    ours = Config.fromfile(config_file(config))
    paper = Config.fromfile(config_file('rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py'))
    epochs = ours.train_cfg.max_epochs
    from mmlean.datasets import DigitsOnPhotosDataset
    dataset = {k: v for k, v in ours.train_dataloader.dataset.items()
               if k not in ('type', 'pipeline')}
    renders = len(DigitsOnPhotosDataset(**dataset))
    iters = -(-renders // ours.train_dataloader.batch_size)
    ours_lr = _lr_per_epoch(ours, iters)
    paper_lr = _lr_per_epoch(paper, 1)
    stride = paper.train_cfg.max_epochs // epochs
    for e in range(1, epochs):  # epoch 0: the warm-ups (0.5% of each run) differ in shape
        assert ours_lr[e] == pytest.approx(paper_lr[stride * e], rel=0.05), e
