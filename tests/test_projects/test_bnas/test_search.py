"""The BNAS search end to end through tools/train.py: export, resume mid-reduction, two ranks."""
import os
import os.path as osp
import shutil
import sys

import pytest

SEARCH = 'configs/bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits.py'
# the real digits search, shrunk: four of the eight ops per edge, 1 warm-up epoch,
# 1-iteration paths, 64 images per split (1 + (2 + 2 + 1) paths + 2 supernet epochs = 8 steps)
TINY = f'''
_base_ = ['{{root}}/{SEARCH}']
keep = ('max_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3')
model = dict(architecture=dict(backbone=dict(mutable_cfg=dict(candidates=dict(
    _delete_=True, **{{k: v for k, v in _base_.candidates.items() if k in keep}})))))
train_dataloader = dict(dataset=dict(indices=64))
train_cfg = dict(warmup_epochs=1, arch_start=0, sample_train_iters=1, calibrate_sample_num=32,
                 mutator_dataloader=dict(dataset=dict(indices=-64)),
                 eval_dataloader=dict(dataset=dict(indices=-64)))
param_scheduler = dict(architecture=dict(T_max=8, end=8), mutator=dict(end=8))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1), logger=dict(interval=50))
'''


def tiny_config(repo_root, tmp_path):
    path = tmp_path / 'tiny_search.py'
    path.write_text(TINY.replace('{root}', repo_root))
    return str(path)


@pytest.mark.slow
def test_search_exports_and_resumes_mid_reduction_bit_identically(repo_root, tmp_path, run_command,
                                                                  checkpoint_weights):
    import mmengine
    import torch
    config = tiny_config(repo_root, tmp_path)
    straight = str(tmp_path / 'straight')
    run_command(sys.executable, 'tools/train.py', config, '--work-dir', straight)
    for name in ('fix_subnet.yaml', 'reduction_history.json', 'reduction_history.png',
                 'cells.png', 'epoch_8.pth'):
        assert osp.exists(osp.join(straight, name)), name
    history = mmengine.load(osp.join(straight, 'reduction_history.json'))['history']
    assert len(history) == 3  # 4 candidates -> 1 per edge
    # the search was stopped after step 5 (inside the second reduction round) and resumed
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(straight, 'epoch_5.pth'), resumed)
    state = checkpoint_weights(osp.join(resumed, 'epoch_5.pth'))
    assert int(state['mutator.plan_position']) > 0  # mid-round
    run_command(sys.executable, 'tools/train.py', config, '--work-dir', resumed,
                '--resume', osp.join(resumed, 'epoch_5.pth'))
    assert mmengine.load(osp.join(resumed, 'fix_subnet.yaml')) == \
        mmengine.load(osp.join(straight, 'fix_subnet.yaml'))
    a = checkpoint_weights(osp.join(straight, 'epoch_8.pth'))
    b = checkpoint_weights(osp.join(resumed, 'epoch_8.pth'))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_gloo_processes_end_with_identical_choices(repo_root, tmp_path, run_command,
                                                       checkpoint_weights):
    import mmengine
    config = tiny_config(repo_root, tmp_path)
    work = str(tmp_path / 'dist')
    out = run_command('bash', 'tools/dist_train.sh', config, '2', '--work-dir', work,
                      env=dict(PYTHON=sys.executable, PORT='29551'))
    logs = out.stdout + out.stderr
    assert 'identical on all 2 rank(s)' in logs
    fix_subnet = mmengine.load(osp.join(work, 'fix_subnet.yaml'))
    assert any(k.startswith('normal_n') for k in fix_subnet)


@pytest.mark.slow
def test_pcdarts_continued_from_the_kept_warmup_end_is_bit_identical(repo_root, tmp_path,
                                                                     run_command,
                                                                     checkpoint_weights):
    """The evidence campaign's PC-DARTS baseline continues the BNAS search's warm-up end
    (kept by KeepCheckpointHook): the warm-ups are the same steps, and the continued
    PC-DARTS search ends exactly where one run from scratch does."""
    import mmengine
    import torch

    from mmlean.utils.scripts import load_script
    evidence = load_script(osp.join(repo_root, 'tools', 'analysis_tools', 'evidence.py'),
                           'evidence')
    config = tmp_path / 'tiny_warmup2.py'
    config.write_text(TINY.replace('{root}', repo_root) + '''
train_cfg = dict(warmup_epochs=2, arch_start=1)  # one weights-only epoch, one with alphas
param_scheduler = dict(architecture=dict(T_max=9, end=9), mutator=dict(end=9))
custom_hooks = [dict(type='KeepCheckpointHook', epochs=[2])]
''')
    config = str(config)
    pcdarts = ('--cfg-options', 'train_cfg.reduction=False')
    out, row = str(tmp_path / 'evidence'), 'bnas-w1a32'
    bnas_dir = osp.join(evidence._work_dir(out, row, 'BNAS', 0), 'search')
    straight = str(tmp_path / 'pcdarts_straight')
    run_command(sys.executable, 'tools/train.py', config, '--work-dir', bnas_dir)
    run_command(sys.executable, 'tools/train.py', config, '--work-dir', straight, *pcdarts)
    kept = checkpoint_weights(osp.join(bnas_dir, 'kept', 'epoch_2.pth'))
    same_steps = checkpoint_weights(osp.join(straight, 'kept', 'epoch_2.pth'))
    assert all(torch.equal(kept[k], same_steps[k]) for k in kept)

    work_dir = evidence._work_dir(out, row, 'PC-DARTS', 0)
    continued = osp.join(work_dir, 'search')
    os.makedirs(continued)
    evidence._continue_search(dict(search=config, continue_from='BNAS'), 0, work_dir,
                              continued, out)
    run_command(sys.executable, 'tools/train.py', config, '--work-dir', continued, '--resume',
                *pcdarts)
    assert not osp.exists(osp.join(continued, 'epoch_1.pth'))  # the warm-up was not rerun
    a = checkpoint_weights(osp.join(straight, 'epoch_9.pth'))
    b = checkpoint_weights(osp.join(continued, 'epoch_9.pth'))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert mmengine.load(osp.join(continued, 'fix_subnet.yaml')) == \
        mmengine.load(osp.join(straight, 'fix_subnet.yaml'))


def test_a_continued_search_needs_its_warmup_end_kept(repo_root, tmp_path):
    from mmlean.utils.scripts import load_script
    evidence = load_script(osp.join(repo_root, 'tools', 'analysis_tools', 'evidence.py'),
                           'evidence')
    assert evidence.warmup_checkpoint_epoch(
        'configs/bnas/bnas_xnor-w1a32_supernet-c16-l5_1xb64-search_digits-on-photos16.py') == 30
    with pytest.raises(ValueError, match=r'KeepCheckpointHook with epochs=\[4\]'):
        evidence.warmup_checkpoint_epoch(SEARCH)  # the digits search keeps none
