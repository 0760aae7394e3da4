"""Learning check (slow, seeded, short): the searched AMSNet (the committed fix_subnet)
retrained on a small synthetic crowd set beats predicting the training mean count."""
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.mark.slow
def test_searched_amsnet_beats_mean_count(tmp_path, run_python):
    res = run_python('tools/nascount/synthetic_crowd.py', '--out', str(tmp_path / 'syn'),
                     '--train', '64', '--test', '16', '--width', '64', '--height', '64',
                     '--min-count', '2', '--max-count', '40', '--seed', '1')
    assert res.returncode == 0, res.stderr
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    import mmlean.projects.nascount as nc
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'nascount', 'nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py'))
    epochs = 40
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': str(tmp_path / 'syn'),
        'test_dataloader.dataset.data_root': str(tmp_path / 'syn'),
        'train_cfg.max_epochs': epochs,
        'train_dataloader.batch_size': 16,
        'train_dataloader.dataset.pipeline.2.crop_size': 64,
        'optim_wrapper.optimizer.lr': 3e-3,
        'param_scheduler': [dict(type='CosineAnnealingLR', T_max=epochs, eta_min=1e-5,
                                 by_epoch=True, begin=0, end=epochs)],
    })
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.default_hooks.logger.interval = 50
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    train = nc.CrowdCountingDataset(layout='shanghaitech', data_root=str(tmp_path / 'syn'),
                                    split='train', pipeline=[])
    test = nc.CrowdCountingDataset(layout='shanghaitech', data_root=str(tmp_path / 'syn'),
                                   split='test', pipeline=[])
    mean = nc.mean_count(train)
    baseline = sum(abs(mean - c) for c in test.get_counts()) / len(test)
    print(f"learning check: MAE {metrics['count/MAE']:.2f} vs mean-count {baseline:.2f}")
    assert metrics['count/MAE'] < 0.8 * baseline, (metrics, baseline)
