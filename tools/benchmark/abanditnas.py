"""ABanditNAS costs, in one run: the search per abandonment round, and adversarial training
per epoch against clean training.

    python tools/benchmark/abanditnas.py [--search-dir DIR] [--config CFG] [--iters N]

1. With ``--search-dir`` (a finished search, e.g. ``work_dirs/abanditnas_learning/search``):
   sampled paths and seconds per abandonment round, read from the search log's timestamps.
2. Training cost of the digits network (``--config``, default the digits PGD-7 config with
   its default cells): ``--iters`` iterations each of clean training, FGSM + random start
   (the search-time attack) and PGD-7 (the final-training attack) on the same batches,
   1 thread, and their time per epoch relative to clean training.
"""
import argparse
import glob
import os.path as osp
import re
import sys
import time
from datetime import datetime

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT = osp.join(ROOT, 'configs', 'abanditnas', 'abanditnas_c8l6-pgd7_1xb64-30e_digits.py')
PATH_LINE = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) .*search: reduction round (\d+), '
                       r'path (\d+)/(\d+)')


def search_rounds(search_dir: str):
    logs = sorted(glob.glob(osp.join(search_dir, '*', '*.log')))
    if not logs:
        sys.exit(f'abanditnas benchmark: no log under {search_dir}/<timestamp>/')
    stamps = {}
    start = None
    for log in logs:
        for line in open(log, encoding='utf-8'):
            if start is None and 'Checkpoints will be saved' in line:
                start = datetime.strptime(line[:19], '%Y/%m/%d %H:%M:%S')
            m = PATH_LINE.match(line)
            if m:
                stamps.setdefault(int(m.group(2)), []).append(
                    datetime.strptime(m.group(1), '%Y/%m/%d %H:%M:%S'))
    if not stamps:
        sys.exit(f'abanditnas benchmark: no sampled paths in {logs}')
    rows, previous = [], start
    for r in sorted(stamps):
        end = stamps[r][-1]
        seconds = (end - previous).total_seconds() if previous else float('nan')
        rows.append((r, len(stamps[r]), seconds))
        previous = end
    return rows


def training_cost(config: str, iters: int):
    import torch
    torch.set_num_threads(1)
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.abanditnas  # noqa: F401
    from mmlean.utils.config import load_config
    cfg = load_config(config)
    init_default_scope('mmpretrain')
    import logging
    logger = MMLogger.get_current_instance()  # no init_weights report
    logger.setLevel(logging.WARNING)
    for handler in logger.handlers:
        handler.setLevel(logging.WARNING)
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == iters:
            break
    epoch_iters = len(loader)
    eps = cfg.model.attack['eps']
    attacks = [('clean', None), ('FGSM + random start', dict(type='fgsm_rs', eps=eps,
                                                             alpha=1.25 * eps)),
               ('PGD-7', dict(cfg.model.attack))]
    out = []
    for name, attack in attacks:
        torch.manual_seed(0)
        model = MODELS.build(dict(cfg.model, attack=attack))
        optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        model.train()
        for batch in batches[:1]:  # warm-up
            data = model.data_preprocessor(batch, True)
            model(data['inputs'], data['data_samples'], mode='loss')
        start = time.perf_counter()
        for batch in batches:
            data = model.data_preprocessor(batch, True)
            losses = model(data['inputs'], data['data_samples'], mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            optim.zero_grad()
            loss.backward()
            optim.step()
        per_iter = (time.perf_counter() - start) / len(batches)
        out.append((name, per_iter * epoch_iters))
    return out, epoch_iters


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--search-dir')
    parser.add_argument('--config', default=DEFAULT)
    parser.add_argument('--iters', type=int, default=8)
    args = parser.parse_args()
    if args.search_dir:
        import json
        rows = search_rounds(args.search_dir)
        history = osp.join(args.search_dir, 'reduction_history.json')
        num_ops = len(json.load(open(history))['choices']) if osp.exists(history) else 9
        print(f'ABanditNAS search ({args.search_dir}): per abandonment round')
        print('| round | ops per edge | sampled paths | seconds | s/path |')
        print('|---|---|---|---|---|')
        total_paths = total_s = 0
        for r, paths, seconds in rows:
            print(f'| {r} | {num_ops + 1 - r} | {paths} | {seconds:.0f} | {seconds / paths:.1f} |')
            total_paths, total_s = total_paths + paths, total_s + seconds
        print(f'| all | | {total_paths} | {total_s:.0f} | {total_s / total_paths:.1f} |')
    cost, epoch_iters = training_cost(args.config, args.iters)
    clean = cost[0][1]
    print(f'\ntraining one epoch ({epoch_iters} iterations) of {osp.basename(args.config)}, '
          f'1 thread, from {args.iters} timed iterations')
    print('| training | s/epoch | x clean |')
    print('|---|---|---|')
    for name, seconds in cost:
        print(f'| {name} | {seconds:.1f} | {seconds / clean:.2f} |')


if __name__ == '__main__':
    main()
