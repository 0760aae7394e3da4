"""The CP-NAS search under two gloo processes: child and parent agree on every rank, and a
search resumed mid-reduction ends bit-identically."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

SEARCH = 'configs/cpnas/cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py'
# the real digits search, shrunk: 1-iteration paths, 32 images per split (35 steps)
TINY = f'''
_base_ = ['{{root}}/{SEARCH}']
train_dataloader = dict(dataset=dict(indices=32))
train_cfg = dict(sample_train_iters=1, calibrate_sample_num=32,
                 mutator_dataloader=dict(dataset=dict(indices=-32)),
                 eval_dataloader=dict(dataset=dict(indices=-32)))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1), logger=dict(interval=50))
'''


def dist_train(repo_root, config, work, port, *extra):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=str(port))
    out = subprocess.run(['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work, *extra],
                         cwd=repo_root, capture_output=True, text=True, env=env, timeout=1800)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    return out.stdout + out.stderr


@pytest.mark.slow
def test_two_ranks_agree_and_resume_mid_reduction_bit_identically(repo_root, tmp_path):
    import mmengine
    import torch

    from mmlean.compat.checkpoint import safe_load
    config = tmp_path / 'tiny_cpnas.py'
    config.write_text(TINY.replace('{root}', repo_root))
    straight = str(tmp_path / 'straight')
    logs = dist_train(repo_root, str(config), straight, 29561)
    assert 'identical on all 2 rank(s)' in logs  # the export also checks child == parent space
    assert 'child' in logs and 'parent' in logs  # both accuracies of every path are logged
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(straight, 'epoch_28.pth'), resumed)  # inside the fifth round
    state = safe_load(osp.join(resumed, 'epoch_28.pth'))
    assert int(state['state_dict']['mutator.plan_position']) > 0
    dist_train(repo_root, str(config), resumed, 29562, '--resume',
               osp.join(resumed, 'epoch_28.pth'))
    assert mmengine.load(osp.join(resumed, 'fix_subnet.yaml')) == \
        mmengine.load(osp.join(straight, 'fix_subnet.yaml'))
    a = safe_load(osp.join(straight, 'epoch_35.pth'))['state_dict']
    b = safe_load(osp.join(resumed, 'epoch_35.pth'))['state_dict']
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert any(k.startswith('parent.') for k in a)  # the parent's weights are in it too
