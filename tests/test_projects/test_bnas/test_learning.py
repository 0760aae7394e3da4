"""Learning check on real mini-data: a BNAS cell retrained on digits, 1-bit vs its FP twin."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

CONFIGS = {
    'XNOR W1A32': 'configs/bnas/bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py',
    'full precision': 'configs/bnas/bnas-fp_c16l5_1xb64-30e_digits.py',
}
# the released BNAS_XNOR_1 cell (the configs' default), 8 of the 30 epochs: seeded and short
SHORT = ['train_cfg.max_epochs=8', 'param_scheduler.1.T_max=7', 'param_scheduler.1.end=8',
         'train_cfg.val_interval=8']


def train_and_test(repo_root, config, work_dir):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    train = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
                            '--cfg-options', *SHORT], cwd=repo_root, env=env,
                           capture_output=True, text=True)
    assert train.returncode == 0, train.stderr[-3000:]
    out = osp.join(work_dir, 'metrics.json')
    test = subprocess.run([sys.executable, 'tools/test.py', config,
                           osp.join(work_dir, 'epoch_8.pth'), '--out', out], cwd=repo_root,
                          env=env, capture_output=True, text=True)
    assert test.returncode == 0, test.stderr[-3000:]
    return json.load(open(out))['accuracy/top1']


@pytest.mark.slow
def test_bnas_cell_learns_digits(repo_root, tmp_path, capsys):
    acc = {name: train_and_test(repo_root, cfg, str(tmp_path / str(i)))
           for i, (name, cfg) in enumerate(CONFIGS.items())}
    with capsys.disabled():
        print('\n[BNAS_XNOR_1 on digits, 8 epochs, held-out top-1] ' +
              ', '.join(f'{k}: {v:.2f}%' for k, v in acc.items()))
    assert acc['full precision'] >= 95.0  # chance is 10%
    assert acc['XNOR W1A32'] >= 90.0
