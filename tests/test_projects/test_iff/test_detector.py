"""A whole RetinaNet with IFF trains and evaluates through tools/train.py and tools/test.py."""
import json
import os.path as osp

import pytest

pytest.importorskip('mmdet')
pytest.importorskip('pycocotools')
CFG = 'configs/iff/demo/iff_retinanet_r18_fpn_1xb8-1200i_shapes.py'


@pytest.mark.slow
def test_iff_retinanet_trains_and_evaluates_with_coco_metric(run_python, tmp_path):
    data = tmp_path / 'shapes'
    out = run_python('tools/dataset_converters/synthetic_shapes_coco.py', '--out', str(data),
                     '--train', '8', '--val', '4', '--size', '64')
    assert out.returncode == 0, out.stderr[-3000:]
    ann = str(data / 'annotations' / 'instances_val.json')
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={data}/',
            f'val_dataloader.dataset.data_root={data}/',
            f'test_dataloader.dataset.data_root={data}/',
            f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}',
            'train_dataloader.batch_size=2', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2', 'model.test_cfg.score_thr=0.0']
    work = str(tmp_path / 'work')
    out = run_python('tools/train.py', CFG, '--work-dir', work, *opts)
    assert out.returncode == 0, out.stderr[-3000:]
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.exists(ckpt)
    metrics = str(tmp_path / 'metrics.json')
    out = run_python('tools/test.py', CFG, ckpt, '--work-dir', work, '--out', metrics, *opts)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.load(open(metrics))
    assert 0.0 <= result['coco/bbox_mAP'] <= 1.0
    assert 'coco/bbox_mAP_50' in result
