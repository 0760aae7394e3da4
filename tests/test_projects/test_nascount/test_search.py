"""The NAS-Count search config end to end through tools/train.py: export, resume with random
crops and flips on, and two gloo processes (FirstOrderDartsDDP)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

SEARCH = 'configs/nascount/nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py'
# the real synthetic-crowd search, shrunk: 8 + 8 images of 128 x 128, batch 4, 3 epochs
TINY = f'''
_base_ = ['{{root}}/{SEARCH}']
data_root = '{{data}}'
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, indices=list(range(8))))
train_cfg = dict(max_epochs=3, val_interval=3, mutator_dataloader=dict(
    batch_size=4, dataset=dict(data_root=data_root, indices=list(range(8, 16)))))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
param_scheduler = dict(architecture=dict(T_max=3, end=3), mutator=dict(end=3))
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=-1), logger=dict(interval=1))
'''


@pytest.fixture(scope='module')
def tiny_config(repo_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('nascount_search')
    data = tmp / 'syn'
    out = subprocess.run(
        [sys.executable, 'tools/nascount/synthetic_crowd.py', '--out', str(data), '--train', '16',
         '--test', '2', '--width', '128', '--height', '128', '--min-count', '2',
         '--max-count', '30', '--seed', '3'], cwd=repo_root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    path = tmp / 'tiny_search.py'
    path.write_text(TINY.replace('{root}', repo_root).replace('{data}', str(data)))
    return str(path)


@pytest.mark.slow
def test_search_exports_and_resumes_bit_identically(repo_root, tiny_config, tmp_path, run_command,
                                                    checkpoint_weights):
    import mmengine
    import torch
    straight = str(tmp_path / 'straight')
    run_command(sys.executable, 'tools/train.py', tiny_config, '--work-dir', straight)
    for name in ('fix_subnet.yaml', 'searched_cells.png', 'epoch_3.pth'):
        assert osp.exists(osp.join(straight, name)), name
    # stopped after epoch 2, resumed: the crops, flips, weights and alphas continue exactly
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(straight, 'epoch_2.pth'), resumed)
    run_command(sys.executable, 'tools/train.py', tiny_config, '--work-dir', resumed,
                '--resume', osp.join(resumed, 'epoch_2.pth'))
    assert mmengine.load(osp.join(resumed, 'fix_subnet.yaml')) == \
        mmengine.load(osp.join(straight, 'fix_subnet.yaml'))
    a = checkpoint_weights(osp.join(straight, 'epoch_3.pth'))
    b = checkpoint_weights(osp.join(resumed, 'epoch_3.pth'))
    assert a.keys() == b.keys()
    assert any(k.startswith('mutator.') or 'arch_param' in k for k in a)  # alphas are saved
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_gloo_processes_search_with_the_same_architecture(tiny_config, tmp_path, run_command,
                                                              checkpoint_weights):
    import mmengine
    work = str(tmp_path / 'dist')
    out = run_command('bash', 'tools/dist_train.sh', tiny_config, '2', '--work-dir', work,
                      env=dict(PYTHON=sys.executable, PORT='29553'))
    assert 'identical on all 2 ranks' in out.stdout + out.stderr
    fix_subnet = mmengine.load(osp.join(work, 'fix_subnet.yaml'))
    assert any(k.startswith('normal') for k in fix_subnet), sorted(fix_subnet)
    # the checkpoint keeps the single-process state-dict keys (resumable either way)
    keys = checkpoint_weights(osp.join(work, 'epoch_3.pth')).keys()
    assert not any('.m.' in k for k in keys if 'bn' in k.lower())
