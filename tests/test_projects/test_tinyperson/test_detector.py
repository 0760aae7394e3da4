"""A Faster R-CNN trains on synthetic TinyPerson tiles and is scored through tools/test.py."""
import json
import os.path as osp

import pytest

CFG = 'configs/tinyperson/demo/faster-rcnn_r18_fpn_1xb4-800i_synthetic-tinyperson.py'


@pytest.mark.slow
def test_faster_rcnn_trains_on_tiles_and_reports_ap50_tiny(run_python, tmp_path):
    data = tmp_path / 'syn'
    out = run_python('tools/dataset_converters/synthetic_tinyperson.py', '--out', str(data),
                     '--train', '3', '--test', '2', '--width', '320', '--height', '256')
    assert out.returncode == 0, out.stderr[-3000:]
    task = data / 'annotations' / 'task'
    corner = data / 'annotations' / 'corner' / 'task' / 'tiny_set_train_sw320_sh256_all.json'
    out = run_python('tools/dataset_converters/tinyperson_cut.py',
                     str(task / 'tiny_set_train_all.json'), str(corner),
                     '--tile', '160', '128', '--overlap', '20', '20')
    assert out.returncode == 0, out.stderr[-3000:]
    test_json = str(task / 'tiny_set_test_all.json')
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={data}/',
            f'val_dataloader.dataset.data_root={data}/',
            f'test_dataloader.dataset.data_root={data}/',
            'test_dataloader.dataset.tile_cfg.size=[160,128]',
            'val_dataloader.dataset.tile_cfg.size=[160,128]',
            f'val_evaluator.ann_file={test_json}', f'test_evaluator.ann_file={test_json}',
            f'test_evaluator.outfile_prefix={tmp_path}/dets',
            'train_dataloader.batch_size=2', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2', 'model.test_cfg.rcnn.score_thr=0.0']
    work = str(tmp_path / 'work')
    out = run_python('tools/train.py', CFG, '--work-dir', work, *opts)
    assert out.returncode == 0, out.stderr[-3000:]
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.exists(ckpt)
    metrics = str(tmp_path / 'metrics.json')
    out = run_python('tools/test.py', CFG, ckpt, '--work-dir', work, '--out', metrics, *opts)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.load(open(metrics))
    assert 0.0 <= result['tiny/AP50_tiny'] <= 100.0 and 'tiny/MR50_tiny' in result
    dets = json.load(open(tmp_path / 'dets.bbox.json'))
    assert {d['image_id'] for d in dets} <= {1, 2}  # merged back to the two whole test images
    png = str(tmp_path / 'show.png')
    out = run_python('tools/analysis_tools/tinyperson_show.py', test_json,
                     str(tmp_path / 'dets.bbox.json'),
                     '--img-root', str(data / 'test'), '--out', png, '--score-thr', '0.0')
    assert out.returncode == 0, out.stderr[-3000:]
    assert osp.getsize(png) > 10000
