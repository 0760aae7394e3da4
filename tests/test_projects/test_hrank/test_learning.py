"""Learning check: HRank prunes a digits ResNet-20 to about half its FLOPs
and the fine-tuned, physically pruned model stays within 2 points."""
import json
import os.path as osp
import sys

import pytest


@pytest.mark.slow
def test_hrank_prunes_half_the_flops_within_two_points(tmp_path, capsys, run_command,
                                                       train_then_test):
    def run(*args):
        return run_command(sys.executable, *args, threads=2)

    fp_cfg = 'configs/demo/resnet20_1xb64-15e_digits.py'
    hr_cfg = 'configs/hrank/hrank_resnet20_1xb64-10e_digits.py'
    fp_dir, hr_dir = str(tmp_path / 'fp'), str(tmp_path / 'hrank')
    base = train_then_test(fp_cfg, fp_dir, 'epoch_15.pth')['accuracy/top1']
    fp_ckpt = osp.join(fp_dir, 'epoch_15.pth')
    ranks = osp.join(hr_dir, 'ranks.json')
    run('tools/analysis_tools/hrank_ranks.py', hr_cfg, fp_ckpt, '--out', ranks,
        '--plot', osp.join(hr_dir, 'ranks.png'))
    assert osp.getsize(osp.join(hr_dir, 'ranks.png')) > 0
    run('tools/train.py', hr_cfg, '--work-dir', hr_dir, '--cfg-options',
        f'model.rank_file={ranks}', f'model.architecture.init_cfg.checkpoint={fp_ckpt}')
    summary = osp.join(hr_dir, 'export.json')
    run('tools/deployment/hrank_export.py', hr_cfg, osp.join(hr_dir, 'epoch_12.pth'),
        '--out', osp.join(hr_dir, 'pruned.pth'), '--eval', '--json', summary)
    res = json.load(open(summary))
    pruned = res['pruned']['accuracy/top1']
    with capsys.disabled():
        print(f'\n[HRank digits] unpruned {base:.2f}%, pruned {pruned:.2f}%, MACs '
              f'{res["macs_before"] / 1e6:.1f}M -> {res["macs_after"] / 1e6:.1f}M')
    assert 0.45 <= res['macs_after'] / res['macs_before'] <= 0.55  # about half
    assert res['pruned']['accuracy/top1'] == pytest.approx(res['masked']['accuracy/top1'])
    assert pruned >= base - 2.0

    # the exported file rebuilds the pruned model from the config (weights_only)
    code = ('import torch, mmlean\n'
            'import mmlean.projects.hrank as H\n'
            'from mmengine.registry import init_default_scope\n'
            'from mmrazor.registry import MODELS\n'
            'from mmlean.utils.config import load_config\n'
            f'cfg = load_config({hr_cfg!r})\n'
            'cfg.model.architecture.pop("init_cfg")\n'
            'init_default_scope("mmpretrain")\n'
            'algo = MODELS.build(cfg.model)\n'
            f'model = H.load_pruned(algo, {osp.join(hr_dir, "pruned.pth")!r})\n'
            'print(model.backbone.layer1[0].conv1.out_channels)\n')
    out = run('-c', code)
    assert out.stdout.strip().splitlines()[-1] == '8'  # 16 - int(0.5 * 16)
