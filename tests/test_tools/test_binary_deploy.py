"""tools/deployment/binary_deploy.py on the RBNN digits config: bit-packed deploy model
evaluated beside the simulated one, also with its FP parts frozen."""
import json
import sys

import pytest

CONFIG = 'configs/rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py'


@pytest.mark.slow
def test_deploy_and_frozen_fp_parts_evaluate_like_the_simulated_model(tmp_path, run_command):
    work = tmp_path / 'train'
    run_command(sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work),
                '--cfg-options', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2')
    summary = tmp_path / 'deploy.json'
    out = run_command(sys.executable, 'tools/deployment/binary_deploy.py', CONFIG,
                      str(work / 'epoch_2.pth'), '--out', str(tmp_path / 'deploy.pth'),
                      '--eval', '--freeze-fp', '--json', str(summary))
    result = json.loads(summary.read_text())
    # the stem conv -> BN -> Hardtanh runs as one frozen graph; the 18 binary convs packed
    assert result['frozen_fp_chains'] == ['backbone.conv1'], out.stdout[-2000:]
    assert result['converted_layers'] == 18
    simulated = result['simulated']['accuracy/top1']
    deployed = result['deploy']['accuracy/top1']
    assert simulated > 20.0  # two epochs learn something (chance is 10%)
    # BN folding changes float rounding only: at most a couple of the 360 test images flip
    assert abs(deployed - simulated) <= 0.6
