"""Learning check on real mini-data: RBNN ResNet-20 on scikit-learn digits
through tools/train.py, beside its full-precision and plain-binary twins."""

import pytest

CONFIGS = {
    'RBNN 1W1A': 'configs/rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py',
    'plain sign/STE 1W1A': 'configs/rbnn/bnn_resnet20-1w1a_1xb64-40e_digits.py',
    'full precision': 'configs/rbnn/resnet20-fp_1xb64-40e_digits.py',
}


# 16x16 digits (the originals are 8x8): the 40-epoch schedules unchanged at a quarter of the
# 32x32 cost, so the three runs fit CI's time budget; the README's table is the 32x32 run
SMALL = ['train_dataloader.dataset.image_size=16',
         'train_dataloader.dataset.pipeline.0.crop_size=16',
         'val_dataloader.dataset.image_size=16', 'test_dataloader.dataset.image_size=16']


@pytest.mark.slow
def test_rbnn_resnet20_learns_digits(tmp_path, capsys, train_then_test_each):
    metrics = train_then_test_each({
        name: (cfg, tmp_path / str(i), 'epoch_40.pth', SMALL, SMALL[2:])
        for i, (name, cfg) in enumerate(CONFIGS.items())})
    acc = {name: m['accuracy/top1'] for name, m in metrics.items()}
    with capsys.disabled():
        print('\n[RBNN digits, held-out top-1] ' +
              ', '.join(f'{k}: {v:.2f}%' for k, v in acc.items()))
    assert acc['RBNN 1W1A'] >= 97.0
    assert acc['full precision'] >= 97.0
    assert acc['plain sign/STE 1W1A'] >= 90.0
