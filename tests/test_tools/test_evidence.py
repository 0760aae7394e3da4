"""tools/analysis_tools/evidence.py: kept runs are skipped, the method filter, and the report's
statistics against numpy."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from scipy.stats import ttest_rel

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    return load_script(osp.join(ROOT, 'tools', 'analysis_tools', 'evidence.py'), 'evidence')


def _keep(tool, out, label, seed, accuracy):
    work_dir = osp.join(out, 'rbnn', f'{tool._slug(label)}_s{seed}')
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'result.json'), 'w') as f:
        json.dump(dict(row='rbnn', method=label, config='c.py', seed=seed, accuracy=accuracy),
                  f)


def test_kept_runs_are_skipped_and_reported(tmp_path, monkeypatch):
    tool, out = _tool(), str(tmp_path / 'evidence')
    base = {0: 60.0, 1: 62.0, 2: 61.0}
    rbnn = {0: 66.0, 1: 66.5, 2: 66.4}
    xnor = {0: 59.0, 1: 64.0, 2: 60.0}
    for seed in base:
        _keep(tool, out, 'sign/STE, learned scale', seed, base[seed])
        _keep(tool, out, 'RBNN', seed, rbnn[seed])
        _keep(tool, out, 'XNOR-style, scalar mean(|W|)', seed, xnor[seed])
        _keep(tool, out, 'FP32 (reference)', seed, 95.0)  # the binary twins' start

    def no_training(*args, **kwargs):
        raise AssertionError('a kept run was trained again')

    monkeypatch.setattr(tool.subprocess, 'run', no_training)
    assert tool.main(['--rows', 'rbnn', '--methods', 'RBNN,sign-ste--learned-scale',
                      '--out', out]) == 0
    table = {e['method']: e for e in json.load(open(osp.join(out, 'report.json')))}
    assert set(table) == {'FP32 (reference)', 'sign/STE, learned scale', 'RBNN',
                          'XNOR-style, scalar mean(|W|)'}
    assert table['FP32 (reference)']['diff'] == ''  # a reference is not compared
    values = np.array(list(rbnn.values()))
    assert table['RBNN']['mean'] == pytest.approx(values.mean())
    assert table['RBNN']['std'] == pytest.approx(values.std(ddof=1))
    paired = values - np.array(list(base.values()))
    assert table['RBNN']['diff'] == f'{paired.mean():+.2f} ± {paired.std(ddof=1):.2f} pts'
    # the paired t-test against scipy's own (t = 12.2 on 2 dof)
    assert table['RBNN']['p'] == pytest.approx(
        ttest_rel(list(rbnn.values()), list(base.values())).pvalue)
    assert table['RBNN']['reads'] == 'better than the baseline (p = 0.0067)'
    assert table['XNOR-style, scalar mean(|W|)']['reads'].startswith('within the spread')
    assert table['sign/STE, learned scale']['diff'] == ''  # the baseline itself
    assert osp.getsize(osp.join(out, 'report.png')) > 0


def test_unknown_rows_and_methods_are_named(tmp_path):
    tool = _tool()
    with pytest.raises(SystemExit, match="--rows: 'hrnak' is not one of"):
        tool.main(['--rows', 'hrnak', '--out', str(tmp_path)])
    with pytest.raises(SystemExit, match=r"--methods: \['XNOR'\] not among"):
        tool.main(['--rows', 'rbnn', '--methods', 'XNOR', '--out', str(tmp_path)])


def test_pruning_methods_start_from_the_unpruned_run_of_their_seed(tmp_path, monkeypatch):
    """Asking for one pruning method also runs the unpruned network it starts from (first),
    scores the filters with its criterion and seed, and fine-tunes from that seed's
    checkpoint with that score file."""
    tool, out = _tool(), str(tmp_path / 'evidence')
    calls = []

    def fake_run(cmd, cwd, env, stdout, stderr, check):
        script, args = cmd[1], cmd[2:]
        calls.append((script, args))
        assert env['OMP_NUM_THREADS'] == '1'
        if script.endswith('hrank_ranks.py'):
            open(args[args.index('--out') + 1], 'w').write('{}')
        elif script.endswith('train.py'):
            work_dir = args[args.index('--work-dir') + 1]
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work_dir, 'epoch_1.pth'))
        else:
            accuracy = 90.0 if 'unpruned' in args[1] else 80.0
            json.dump({'accuracy/top1': accuracy}, open(args[args.index('--out') + 1], 'w'))

    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    tool.main(['--rows', 'hrank', '--methods', 'random filters', '--seeds', '0,1',
               '--jobs', '1', '--out', out])
    trains = [args for script, args in calls if script.endswith('train.py')
              and 'test.py' not in script]
    unpruned = [a for a in trains if a[0].endswith('resnet20_1xb64-30e_digits-on-photos.py')]
    pruning = [a for a in trains if 'hrank_resnet20' in a[0]]
    assert len(unpruned) == 2 and len(pruning) == 2
    assert calls.index(('tools/train.py', unpruned[1])) < calls.index(
        ('tools/train.py', pruning[0]))
    for seed, args in zip((0, 1), pruning):
        start = osp.join(out, 'hrank', f'unpruned-resnet-20--reference_s{seed}', 'epoch_1.pth')
        assert f'pretrained={start}' in args and f'randomness.seed={seed}' in args
        scores = osp.join(out, 'hrank', f'random-filters_s{seed}', 'scores.json')
        assert f'model.rank_file={scores}' in args
    ranks = [args for script, args in calls if script.endswith('hrank_ranks.py')]
    assert [(a[a.index('--criterion') + 1], a[a.index('--seed') + 1]) for a in ranks] == [
        ('random', '0'), ('random', '1')]
    result = json.load(open(osp.join(out, 'hrank', 'random-filters_s1', 'result.json')))
    assert result['value'] == 80.0 and result['metric'] == 'accuracy/top1'
    assert result['scores'] == 'random'


def test_a_lower_is_better_row_writes_its_data_first_and_reads_mae(tmp_path, monkeypatch):
    """NAS-Count's row: its synthetic set is written when missing, the runs report the
    count MAE, and a lower MAE than the baseline's (beyond the spread) reads "better";
    AMSNet with plain MSE is compared with its own baseline, CSRNet."""
    tool, out = _tool(), str(tmp_path / 'evidence')
    calls = []
    mae = {'AMSNet, SPPLoss (searched pooling)': {0: 6.4, 1: 9.5, 2: 7.0, 3: 8.0, 4: 7.2},
           'AMSNet, plain MSE': {0: 7.1, 1: 10.4, 2: 7.9, 3: 8.8, 4: 8.0},
           'CSRNet (VGG-16-BN), plain MSE': {0: 7.0, 1: 10.9, 2: 7.5, 3: 9.0, 4: 8.1}}

    def fake_run(cmd, cwd, **kwargs):
        script, args = cmd[1], cmd[2:]
        calls.append(script)
        if script.endswith('synthetic_crowd.py'):
            os.makedirs(osp.join(cwd, args[args.index('--out') + 1]))
        elif script.endswith('train.py'):
            work_dir = args[args.index('--work-dir') + 1]
            open(osp.join(work_dir, 'last_checkpoint'), 'w').write('epoch_40.pth')
        else:
            label = ('AMSNet, plain MSE' if '-mse_' in args[0] else
                     'CSRNet (VGG-16-BN), plain MSE' if 'csrnet' in args[0] else
                     'AMSNet, SPPLoss (searched pooling)')
            seed = int(args[args.index('--work-dir') + 1][-1])
            json.dump({'count/MAE': mae[label][seed], 'count/MSE': 1.0},
                      open(args[args.index('--out') + 1], 'w'))

    monkeypatch.setattr(tool, 'REPO', str(tmp_path))
    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    tool.main(['--rows', 'nascount', '--jobs', '1', '--out', out])
    assert calls[0] == 'tools/nascount/synthetic_crowd.py' and calls.count(calls[0]) == 1
    table = {e['method']: e for e in json.load(open(osp.join(out, 'report.json')))}
    spp = table['AMSNet, SPPLoss (searched pooling)']
    assert spp['metric'] == 'count/MAE'
    assert spp['mean'] == pytest.approx(np.mean(list(mae[spp['method']].values())))
    assert spp['seeds'] == [0, 1, 2, 3, 4]  # the row's own default seeds
    assert spp['reads'].startswith('better than the baseline')  # -0.82 +- 0.06
    assert spp['baseline'] == 'AMSNet, plain MSE'
    mse = table['AMSNet, plain MSE']
    d = np.subtract(list(mae['AMSNet, plain MSE'].values()),
                    list(mae['CSRNet (VGG-16-BN), plain MSE'].values()))
    assert mse['baseline'] == 'CSRNet (VGG-16-BN), plain MSE'
    assert mse['diff'].startswith(f'{d.mean():+.2f} ± {d.std(ddof=1):.2f}')
    assert mse['p'] == pytest.approx(ttest_rel(list(mae['AMSNet, plain MSE'].values()), list(
        mae['CSRNet (VGG-16-BN), plain MSE'].values())).pvalue)
    assert table['CSRNet (VGG-16-BN), plain MSE']['diff'] == ''  # a baseline only
    assert 'CSRNet' in open(osp.join(out, 'report.md')).read().split('the paper')[1]
    tool.main(['--rows', 'nascount', '--out', out])  # kept: neither data nor runs again
    assert calls.count('tools/nascount/synthetic_crowd.py') == 1


def test_a_script_method_starts_from_another_rows_run(tmp_path, monkeypatch):
    """CoGD's row: its methods are one command each (tools/cogd/prune_compare.py, one
    variant) started from the HRank row's unpruned network of the same seed, which is
    trained first (in the HRank row's directory, so both rows share it) and only once;
    the value is the script's fine-tuned accuracy."""
    tool, out = _tool(), str(tmp_path / 'evidence')
    calls = []
    accuracy = {'CoGD': 91.0, 'prox-SGD': 90.0, 'SGD': 89.0}

    def fake_run(cmd, cwd, **kwargs):
        script, args = cmd[1], cmd[2:]
        calls.append((script, args))
        if script.endswith('train.py'):
            work_dir = args[args.index('--work-dir') + 1]
            open(osp.join(work_dir, 'last_checkpoint'), 'w').write(
                osp.join(work_dir, 'epoch_30.pth'))
        elif script.endswith('test.py'):
            json.dump({'accuracy/top1': 96.0}, open(args[args.index('--out') + 1], 'w'))
        else:
            assert script == 'tools/cogd/prune_compare.py'
            variant, seed = args[args.index('--variants') + 1], int(args[args.index('--seeds') + 1])
            json.dump(dict(rows=[dict(seed=seed, variant=variant, pruned_acc=50.0,
                                      finetuned_acc=accuracy[variant] + seed)]),
                      open(osp.join(args[args.index('--out') + 1], 'results.json'), 'w'))

    monkeypatch.setattr(tool, 'REPO', str(tmp_path))
    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    tool.main(['--rows', 'cogd', '--methods', 'CoGD', '--seeds', '0,1', '--jobs', '1',
               '--out', out])
    scripts = [c for c in calls if c[0] == 'tools/cogd/prune_compare.py']
    trains = [c for c in calls if c[0] == 'tools/train.py']
    assert [args[0] for _, args in trains] == [
        'configs/hrank/resnet20_1xb64-30e_digits-on-photos.py'] * 2
    assert calls.index(trains[1]) < calls.index(scripts[0])  # starts first, both seeds
    for seed, (_, args) in zip((0, 1), scripts):
        start = osp.join(out, 'hrank', f'unpruned-resnet-20--reference_s{seed}', 'epoch_30.pth')
        assert f'--pretrained={start}' in args and args[args.index('--seeds') + 1] == str(seed)
        assert args[args.index('--variants') + 1] == 'CoGD'
    result = json.load(open(osp.join(out, 'cogd', 'cogd_s1', 'result.json')))
    assert result['value'] == 92.0 and result['details']['pruned_acc'] == 50.0
    tool.main(['--rows', 'cogd', '--seeds', '0,1', '--jobs', '1', '--out', out])
    assert len([c for c in calls if c[0] == 'tools/train.py']) == 2  # the start is kept
    table = {e['method']: e for e in json.load(open(osp.join(out, 'report.json')))}
    assert table['CoGD']['diff'].startswith('+1.00 ± 0.00')
    assert set(table) == {'CoGD', 'proximal SGD (no coupling)', 'SGD, l1 in the loss',
                          'unpruned ResNet-20 (reference)'}


def test_nas_methods_search_draw_or_reuse_the_cell_they_retrain(tmp_path, monkeypatch):
    """A searched method searches with the run's seed, then retrains and tests the exported
    cell; PC-DARTS is the same search with the reduction off; a random cell is drawn with
    the run's seed; CP-NAS's baseline retrains the cell BNAS's W1A1 row searched (which
    runs first, once per seed). PC-DARTS continues from the warm-up end the BNAS search of
    its seed kept. A finished search is not run again."""
    tool, out = _tool(), str(tmp_path / 'evidence')
    calls = []

    def fake_run(cmd, cwd, env, stdout, check, stderr=None):
        script, args = cmd[1], cmd[2:]
        calls.append((script, args))
        if script.endswith('nas_random_cells.py'):
            open(args[args.index('--out') + 1], 'w').write('random: cell\n')
        elif script.endswith('train.py'):
            work_dir = args[args.index('--work-dir') + 1]
            if 'search' in args[0]:
                open(osp.join(work_dir, 'fix_subnet.yaml'), 'w').write('searched: cell\n')
                if 'train_cfg.reduction=False' not in args:  # BNAS keeps its warm-up end
                    os.makedirs(osp.join(work_dir, 'kept'))
                    open(osp.join(work_dir, 'kept', 'epoch_30.pth'), 'w').write(work_dir)
            else:
                open(osp.join(work_dir, 'last_checkpoint'), 'w').write('epoch_15.pth')
        else:
            json.dump({'accuracy/top1': 70.0}, open(args[args.index('--out') + 1], 'w'))

    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    tool.main(['--rows', 'bnas-w1a32', '--seeds', '0,1', '--jobs', '1', '--out', out])
    row = osp.join(out, 'bnas-w1a32')
    searches = [a for s, a in calls if s == 'tools/train.py' and 'search' in a[0]]
    assert len(searches) == 4  # BNAS and PC-DARTS, two seeds
    for seed in (0, 1):
        for slug, extra in (('bnas-searched-cell--w1a32', []),
                            ('pc-darts--the-same-search--reduction-off', [
                                'train_cfg.reduction=False'])):
            search_dir = osp.join(row, f'{slug}_s{seed}', 'search')
            search = [a for a in searches if a[a.index('--work-dir') + 1] == search_dir]
            assert len(search) == 1
            assert search[0][-1 - len(extra):] == [f'randomness.seed={seed}', *extra]
            cell = f'model.fix_subnet={osp.join(search_dir, "fix_subnet.yaml")}'
            retrain = [(s, a) for s, a in calls if s != 'tools/analysis_tools/nas_random_cells'
                       '.py' and cell in a]
            assert [s for s, _ in retrain] == ['tools/train.py', 'tools/test.py']
            assert '15e_digits-on-photos16' in retrain[0][1][0]
        # PC-DARTS started at the BNAS search's kept warm-up end of the same seed
        bnas_dir, pcdarts_dir = (osp.join(row, f'{slug}_s{seed}', 'search') for slug in (
            'bnas-searched-cell--w1a32', 'pc-darts--the-same-search--reduction-off'))
        start = osp.abspath(osp.join(pcdarts_dir, 'epoch_30.pth'))
        assert open(osp.join(pcdarts_dir, 'last_checkpoint')).read() == start
        assert open(start).read() == bnas_dir
        order = [a[a.index('--work-dir') + 1] for a in searches]
        assert order.index(bnas_dir) < order.index(pcdarts_dir)
        drawn = osp.join(row, f'random-cell--one-per-seed_s{seed}', 'fix_subnet.yaml')
        assert ('tools/analysis_tools/nas_random_cells.py',
                ['darts', '--seed', str(seed), '--out', drawn]) in calls
        assert any(f'model.fix_subnet={drawn}' in a for s, a in calls if s == 'tools/test.py')
    # kept: no search, draw or training again
    before = len(calls)
    tool.main(['--rows', 'bnas-w1a32', '--seeds', '0,1', '--jobs', '1', '--out', out])
    assert len(calls) == before

    # CP-NAS's baseline needs the BNAS W1A1 row's searched cell of its seed
    tool.main(['--rows', 'cpnas', '--methods', 'BNAS 1-bit search (child accuracy only)',
               '--seeds', '0', '--jobs', '1', '--out', out])
    bnas_cell = osp.join(out, 'bnas-w1a1', 'bnas-searched-cell--w1a1--ucb_s0', 'search',
                         'fix_subnet.yaml')
    new = calls[before:]
    cpnas = [a for s, a in new if s == 'tools/train.py' and 'cpnas' in a[0]]
    assert len(cpnas) == 1 and 'search' not in cpnas[0][0]
    assert f'model.architecture.fix_subnet={bnas_cell}' in cpnas[0]
    assert f'model.parent.fix_subnet={bnas_cell}' in cpnas[0]
    assert new.index(('tools/train.py', cpnas[0])) > max(
        i for i, (s, a) in enumerate(new) if 'w1a1-ucb_supernet' in a[0])
    result = json.load(open(osp.join(out, 'cpnas', 'bnas-1-bit-search--child-accuracy-only_s0',
                                     'result.json')))
    assert result['subnet'] == bnas_cell and result['value'] == 70.0
