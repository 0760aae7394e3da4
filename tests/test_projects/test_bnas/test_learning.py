"""Learning check on real mini-data: a BNAS cell retrained on digits, 1-bit vs its FP twin."""

import pytest

CONFIGS = {
    'XNOR W1A32': 'configs/bnas/bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py',
    'full precision': 'configs/bnas/bnas-fp_c16l5_1xb64-30e_digits.py',
}
# the released BNAS_XNOR_1 cell (the configs' default), 8 of the 30 epochs: seeded and short
SHORT = ['train_cfg.max_epochs=8', 'param_scheduler.1.T_max=7', 'param_scheduler.1.end=8',
         'train_cfg.val_interval=8']


@pytest.mark.slow
def test_bnas_cell_learns_digits(tmp_path, capsys, train_then_test_each):
    metrics = train_then_test_each({name: (cfg, tmp_path / str(i), 'epoch_8.pth', SHORT)
                                    for i, (name, cfg) in enumerate(CONFIGS.items())})
    acc = {name: m['accuracy/top1'] for name, m in metrics.items()}
    with capsys.disabled():
        print('\n[BNAS_XNOR_1 on digits, 8 epochs, held-out top-1] ' +
              ', '.join(f'{k}: {v:.2f}%' for k, v in acc.items()))
    assert acc['full precision'] >= 95.0  # chance is 10%
    assert acc['XNOR W1A32'] >= 90.0
