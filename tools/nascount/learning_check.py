"""NAS-Count learning check on the synthetic crowd set (short CPU runs, seeded).

    python tools/nascount/synthetic_crowd.py --out data/synthetic_crowd
    python tools/nascount/learning_check.py [--work-dir work_dirs/nascount_learning]
        [--only search amsnet amsnet-mse csrnet csrnet-bn mean] [--csrnet-epochs N]
        [--retrain-epochs 40] [--seed 0] [--fix-subnet YAML]

Steps (each a normal mmengine run of the configs in configs/nascount/):

* ``search``: AMSNet + SPPLoss pooling, first-order DARTS
  (``nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py``), writes
  ``search/fix_subnet.yaml`` and ``search/searched_cells.png``;
* ``amsnet``: the searched AMSNet retrained from scratch with the searched SPPLoss;
* ``amsnet-mse``: the same network and schedule with plain MSE (``SPPLoss(levels=0)``);
* ``csrnet``: CSRNet (VGG-16 front end from scratch, no download) through the same
  pipeline, for ``--csrnet-epochs`` (default: ``--retrain-epochs``, the same budget;
  it costs ~150x AMSNet's MACs per image);
* ``csrnet-bn``: the same with BatchNorm after every conv and AMSNet's optimizer
  (``csrnet_vgg16-bn_1xb8-40e_synthetic-crowd.py``: trainable from scratch);
* ``mean``: predicting the training set's mean count for every test image.

Each run's test MAE / MSE (root) goes to ``results.json`` and ``results.md``; the
retrained AMSNet also draws ``amsnet/density_IMG_<n>.png`` (image | GT | prediction).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'nascount')
SEARCH = 'nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py'
RETRAIN = 'nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py'
CSRNET = 'csrnet_vgg16_1xb8-60e_synthetic-crowd.py'
CSRNET_BN = 'csrnet_vgg16-bn_1xb8-40e_synthetic-crowd.py'
STEPS = ('search', 'amsnet', 'amsnet-mse', 'csrnet', 'csrnet-bn', 'mean')


def run(name, config, work_dir, options=None, seed=0):
    """Train ``config`` with ``options``; returns the test metrics and the runner."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(CFG, config))
    if options:
        cfg.merge_from_dict(options)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.work_dir = osp.join(work_dir, name)
    cfg.default_hooks.logger.interval = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if 'type' not in cfg.train_cfg or cfg.train_cfg.type == 'EpochBasedTrainLoop':
        cfg.train_cfg.val_interval = 10**6
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_s = time.time() - start
    metrics = runner.test()
    return dict(metrics, train_s=round(train_s, 1)), runner


def draw(runner, out_dir, index=0):
    """image | GT density | prediction of one test image."""
    import mmcv
    import torch

    from mmlean.projects.nascount import plot_density
    dataset = runner.test_dataloader.dataset
    data = dataset[index]
    model = runner.model
    model.eval()
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=[data['inputs']],
                                             data_samples=[data['data_samples']]), False)
        pred = model(batch['inputs'], batch['data_samples'], mode='predict')[0]
    img = mmcv.imread(pred.img_path)
    name = osp.splitext(osp.basename(pred.img_path))[0]
    path = osp.join(out_dir, f'density_{name}.png')
    plot_density(img, data['data_samples'].gt_density.numpy(), pred.pred_density.numpy(),
                 gt_count=pred.gt_count, pred_count=pred.pred_count, out_file=path,
                 title='AMSNet (searched, retrained), synthetic crowd test image')
    return path


def mean_baseline(work_dir):
    """MAE / MSE of predicting the training mean count for every test image."""
    import math

    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope

    import mmlean.projects.nascount  # noqa: F401
    init_default_scope('mmengine')
    cfg = Config.fromfile(osp.join(CFG, RETRAIN))
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[]))
    test = DATASETS.build(dict(cfg.test_dataloader.dataset, pipeline=[]))
    mean = sum(train.get_counts()) / len(train)
    errors = [mean - c for c in test.get_counts()]
    return {'count/MAE': sum(abs(e) for e in errors) / len(errors),
            'count/MSE': math.sqrt(sum(e * e for e in errors) / len(errors)),
            'train_mean_count': mean}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/nascount_learning')
    parser.add_argument('--only', nargs='+', choices=STEPS, default=list(STEPS))
    parser.add_argument('--retrain-epochs', type=int, default=40)
    parser.add_argument('--csrnet-epochs', type=int,
                        help='CSRNet epochs (default: --retrain-epochs, the same budget)')
    parser.add_argument('--fix-subnet', help='a fix_subnet YAML (default: the search step\'s)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the training runs')
    args = parser.parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    results_path = osp.join(args.work_dir, 'results.json')
    results = json.load(open(results_path)) if osp.isfile(results_path) else {}
    subnet = args.fix_subnet or osp.join(args.work_dir, 'search', 'fix_subnet.yaml')
    sched = [dict(type='CosineAnnealingLR', T_max=args.retrain_epochs, eta_min=1e-5,
                  by_epoch=True, begin=0, end=args.retrain_epochs)]
    for step in args.only:
        print(f'=== {step}', flush=True)
        if step == 'search':
            results[step], _ = run(step, SEARCH, args.work_dir, seed=args.seed)
        elif step in ('amsnet', 'amsnet-mse'):
            if not osp.isfile(subnet):
                raise FileNotFoundError(f'{subnet}: run the search step first (or --fix-subnet)')
            options = {'model.fix_subnet': subnet, 'train_cfg.max_epochs': args.retrain_epochs,
                       'param_scheduler': sched}
            if step == 'amsnet-mse':
                options['model.cfg.head.loss'] = dict(type='SPPLoss', levels=0, _delete_=True)
            results[step], runner = run(step, RETRAIN, args.work_dir, options, args.seed)
            if step == 'amsnet':
                results[step]['plot'] = draw(runner, runner.work_dir)
        elif step in ('csrnet', 'csrnet-bn'):
            epochs = args.csrnet_epochs or args.retrain_epochs
            sched_c = [dict(type='CosineAnnealingLR', T_max=epochs,
                            eta_min=1e-6 if step == 'csrnet' else 1e-5, by_epoch=True,
                            begin=0, end=epochs)]
            results[step], _ = run(step, CSRNET if step == 'csrnet' else CSRNET_BN,
                                   args.work_dir, {'train_cfg.max_epochs': epochs,
                                                   'param_scheduler': sched_c}, args.seed)
            results[step]['epochs'] = epochs
        else:
            results[step] = mean_baseline(args.work_dir)
        if step in ('amsnet', 'amsnet-mse'):
            results[step]['epochs'] = args.retrain_epochs
        print(step, results[step], flush=True)
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=1)
    lines = ['| run | test MAE | test MSE | train time (s) |', '|---|---|---|---|']
    for step in STEPS:
        if step in results:
            r = results[step]
            lines.append(f"| {step} | {r['count/MAE']:.2f} | {r['count/MSE']:.2f} | "
                         f"{r.get('train_s', '-')} |")
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
