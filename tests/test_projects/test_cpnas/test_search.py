"""The CP-NAS search under two gloo processes: child and parent agree on every rank, and a
search resumed mid-reduction ends bit-identically."""
import os
import os.path as osp
import shutil
import sys

import pytest

SEARCH = 'configs/cpnas/cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_digits.py'
# the real digits search, shrunk: four of the eight ops per edge, 1-iteration paths,
# 32 images per split (4 + 3 + 2 = 9 steps)
TINY = f'''
_base_ = ['{{root}}/{SEARCH}']
keep = ('max_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3')
_candidates = _base_.model.architecture.backbone.mutable_cfg.candidates
model = dict(architecture=dict(backbone=dict(mutable_cfg=dict(candidates=dict(
    _delete_=True, **{{k: v for k, v in _candidates.items() if k in keep}})))))
param_scheduler = dict(architecture=dict(T_max=9, end=9), parent=dict(T_max=9, end=9))
train_dataloader = dict(dataset=dict(indices=32))
train_cfg = dict(sample_train_iters=1, calibrate_sample_num=32,
                 mutator_dataloader=dict(dataset=dict(indices=-32)),
                 eval_dataloader=dict(dataset=dict(indices=-32)))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1), logger=dict(interval=50))
'''


def dist_train(run_command, config, work, port, *extra):
    out = run_command('bash', 'tools/dist_train.sh', config, '2', '--work-dir', work, *extra,
                      env=dict(PYTHON=sys.executable, PORT=str(port)))
    return out.stdout + out.stderr


@pytest.mark.slow
def test_two_ranks_agree_and_resume_mid_reduction_bit_identically(repo_root, tmp_path, run_command,
                                                                  checkpoint_weights):
    import mmengine
    import torch

    config = tmp_path / 'tiny_cpnas.py'
    config.write_text(TINY.replace('{root}', repo_root))
    straight = str(tmp_path / 'straight')
    logs = dist_train(run_command, str(config), straight, 29561)
    assert 'identical on all 2 rank(s)' in logs  # the export also checks child == parent space
    assert 'child' in logs and 'parent' in logs  # both accuracies of every path are logged
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(straight, 'epoch_6.pth'), resumed)  # inside the second round
    state = checkpoint_weights(osp.join(resumed, 'epoch_6.pth'))
    assert int(state['mutator.plan_position']) > 0
    dist_train(run_command, str(config), resumed, 29562, '--resume',
               osp.join(resumed, 'epoch_6.pth'))
    assert mmengine.load(osp.join(resumed, 'fix_subnet.yaml')) == \
        mmengine.load(osp.join(straight, 'fix_subnet.yaml'))
    a = checkpoint_weights(osp.join(straight, 'epoch_9.pth'))
    b = checkpoint_weights(osp.join(resumed, 'epoch_9.pth'))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert any(k.startswith('parent.') for k in a)  # the parent's weights are in it too
