"""The synthetic TinyPerson writer and the cut tool produce valid TinyPerson files."""
import json
import os.path as osp

import numpy as np
import pytest

pytest.importorskip('sahi')


def test_synthetic_set_and_cut(run_python, tmp_path):
    from mmlean.projects.tinyperson.annotations import load_tinyperson_json
    out = run_python('tools/dataset_converters/synthetic_tinyperson.py', '--out', str(tmp_path),
                     '--train', '8', '--test', '1')
    assert out.returncode == 0, out.stderr[-2000:]
    path = tmp_path / 'annotations' / 'task' / 'tiny_set_train_all.json'
    coco = load_tinyperson_json(str(path))
    anns = coco['annotations']
    persons = [a for a in anns if not a['ignore'] and not a['uncertain']]
    sizes = np.sqrt([a['area'] for a in persons])
    assert sizes.min() >= 2 and sizes.max() <= 33 and np.median(sizes) < 20
    assert any(a['ignore'] and not a['logo'] for a in anns)  # dense groups
    assert any(a['logo'] and a['ignore'] for a in anns) and any(a['uncertain'] for a in anns)
    assert {a['category_id'] for a in anns} == {1, 2}
    for img in coco['images']:
        assert osp.isfile(tmp_path / 'train' / img['file_name'])
    dst = tmp_path / 'corner.json'
    out = run_python('tools/dataset_converters/tinyperson_cut.py', str(path), str(dst),
                     '--tile', '160', '128', '--overlap', '20', '20')
    assert out.returncode == 0, out.stderr[-2000:]
    cut = load_tinyperson_json(str(dst))
    assert cut['old_images'] == coco['images'] and all('corner' in im for im in cut['images'])
    out = run_python('tools/dataset_converters/tinyperson_cut.py', str(dst),
                     str(tmp_path / 'again.json'))
    assert out.returncode != 0 and 'already a tile' in out.stderr
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(images=[], annotations=[dict(id=1)], categories=[dict(id=1)])))
    out = run_python('tools/dataset_converters/tinyperson_cut.py', str(bad),
                     str(tmp_path / 'x.json'))
    assert (out.returncode != 0 and 'bad.json' in out.stderr
            and "'image_id' is missing" in out.stderr)
