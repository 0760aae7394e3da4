"""tools/analysis_tools/rbnn_grad_norm.py: one row per probed epoch with that epoch's
(k, t), the same batches for every row (so only t changes), a JSON copy, and a clear
error for a config that is not RBNN's."""
import json
import math
import os.path as osp

import pytest

from mmlean.binary import rbnn_k_t
from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'rbnn', 'rbnn_resnet20-1w1a_1xb64-40e_digits.py')


def _tool():
    return load_script(osp.join(ROOT, 'tools', 'analysis_tools', 'rbnn_grad_norm.py'),
                       'rbnn_grad_norm')


def test_rows_follow_the_schedule_on_the_same_batches(tmp_path, capsys):
    out = str(tmp_path / 'norms.json')
    assert _tool().main([CONFIG, '--epochs', '0,0,39', '--batches', '1', '--json', out,
                         '--cfg-options', f'work_dir={tmp_path}']) == 0
    rows = json.load(open(out))
    assert [r['epoch'] for r in rows] == [0, 0, 39]
    for r in rows:
        assert (r['k'], r['t']) == pytest.approx(rbnn_k_t(r['epoch'], 40))
        assert math.isfinite(r['grad_norm']) and r['grad_norm'] > 0
    # the same weights and batches: a repeated epoch gives the same gradient
    assert rows[0]['grad_norm'] == pytest.approx(rows[1]['grad_norm'], rel=1e-5)
    assert rows[2]['grad_norm'] != pytest.approx(rows[0]['grad_norm'], rel=1e-3)
    assert '|grad|' in capsys.readouterr().out


def test_a_config_without_the_rbnn_hook_is_named(tmp_path):
    fp = osp.join(ROOT, 'configs', 'rbnn', 'resnet20-fp_1xb64-40e_digits.py')
    with pytest.raises(SystemExit, match='RBNNHook'):
        _tool().main([fp, '--cfg-options', f'work_dir={tmp_path}'])
