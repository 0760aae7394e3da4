"""tools/cogd/csc_experiment.py: seeds, resumable runs, the report, one-line data errors."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL = ['--data', 'skimage', '--num', '3', '--size', '24', '--filters', '4', '--filter-size',
         '5', '--iters', '3', '--inner', '2']


def _tool():
    return load_script(osp.join(ROOT, 'tools', 'cogd', 'csc_experiment.py'), 'csc_experiment')


@pytest.mark.parametrize('protocol', ['official', 'ours'])
def test_seeds_resume_and_report(protocol, tmp_path, capsys):
    tool, out = _tool(), str(tmp_path / 'csc')
    argv = SMALL + ['--seeds', '1,2', '--protocol', protocol, '--out', out]
    assert tool.main(argv) == 0
    files = sorted(os.listdir(osp.join(out, 'runs')))
    runs = [f for f in files if f.endswith('.json')]
    assert len(runs) == 2 * 2 * 2  # tasks x seeds x methods
    # each run keeps its reconstruction, for metrics computed later
    assert np.load(osp.join(out, 'runs', runs[0][:-5] + '.npy')).shape == (3, 24, 24)
    capsys.readouterr()
    assert tool.main(argv) == 0  # everything finished is kept, nothing runs again
    assert capsys.readouterr().out.count('done before, kept') == 8
    with open(osp.join(out, 'report.json')) as f:
        table = json.load(f)
    assert {row['task'] for row in table} == {'reconstruction', 'inpainting'}
    for row in table:
        assert row['seeds'] == [1, 2]
        pairs = [(v['cogd'] - v['ffcsc']) for v in row['per_seed'].values()]
        assert row['diff'][0] == pytest.approx(sum(pairs) / 2)
    assert osp.getsize(osp.join(out, 'report.png')) > 0
    with open(osp.join(out, 'runs', runs[0])) as f:
        record = json.load(f)
    assert record['protocol'] == protocol and len(record['history']) == 3
    if protocol == 'official':
        assert 0 < record['ssim_octave7'] <= 1


def test_missing_data_root_fails_in_one_line(tmp_path, capsys):
    code = _tool().main(['--data', 'fruit', '--data-root', str(tmp_path / 'nowhere'),
                         '--out', str(tmp_path / 'out')])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert 'fruit_100_100' in err and 'nothing is downloaded' in err
