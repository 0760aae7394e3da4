"""CSC reconstruction and inpainting: FFCSC vs CoGD on the same starts, several seeds.

    OMP_NUM_THREADS=1 python tools/cogd/csc_experiment.py --data-root data/cogd \\
        --data fruit,city --seeds 1,2,3 [--tasks reconstruction,inpainting] [--out DIR]
    python tools/cogd/csc_experiment.py --report --out DIR      # the table of what ran

Protocol ``official`` (default): the official CoGD code's preprocessing (``CreateImages``:
grayscale, its local contrast normalisation, zero mean), loop, correction and metrics
(:mod:`mmlean.projects.cogd.csc_official`): 100 filters of 11 x 11, lambda 1, 20 outer
iterations of 10 + 10 ADMM steps; reconstruction with ``backtracking_d.m`` (alpha
(T - t) / 2T), inpainting (75% of the pixels kept, a seeded mask) with
``backtracking_btb.m`` (alpha (T - t) / 3T); at most 255 positions per iteration
visited as MATLAB runs the loop (its uint8 counter makes ``len3 - i`` saturate, so one
position is visited 255 times; ``--loop-counter double`` for 255 ranked positions;
``--max-positions none`` for the whole alpha fraction), decoded as the code does
(``--index-page-offset 0`` for the intended decoding); PSNR and SSIM of ``PSNR_bt.m`` /
``SSIM_bt.m`` (the reconstruction's interior and the image, each min-max normalised,
peak 1; global SSIM). Protocol ``ours``: mmlean's constrained solver
(:class:`~mmlean.projects.cogd.csc.ConvSparseCoding`: projected filters, soft-thresholded
codes, zero start) with its own metrics (peak = the image's range; windowed SSIM).

For each seed both methods start from the same random filters and codes and see the
same mask. Every finished run is kept (``<out>/runs/*.json``) and skipped when the
command is run again, so a stopped campaign resumes; the report gives mean +- std
over the seeds and the paired difference CoGD - FFCSC. ``--data`` takes ``fruit``,
``city`` (folders ``<data-root>/{fruit,city}_100_100``), ``skimage`` (crops of
scikit-image's photographs, no download) or a folder of images.
"""
import argparse
import io
import json
import os
import os.path as osp
import statistics
import sys
import time

NAMED_SETS = {'fruit': 'fruit_100_100', 'city': 'city_100_100'}
TASKS = ('reconstruction', 'inpainting')
METHODS = ('FFCSC', 'CoGD')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--data', default='fruit,city',
                   help="comma-separated: fruit, city, skimage or a folder of images")
    p.add_argument('--data-root', default='data/cogd',
                   help='folder holding fruit_100_100/ and city_100_100/')
    p.add_argument('--seeds', default='1,2,3')
    p.add_argument('--tasks', default=','.join(TASKS))
    p.add_argument('--protocol', choices=('official', 'ours'), default='official')
    p.add_argument('--filters', type=int, default=100)
    p.add_argument('--filter-size', type=int, default=11)
    p.add_argument('--iters', type=int, default=20, help='outer iterations')
    p.add_argument('--inner', type=int, default=10, help='ADMM steps per sub-solve')
    p.add_argument('--lam', type=float, default=1.0)
    p.add_argument('--keep', type=float, default=0.75, help='inpainting: kept pixel fraction')
    p.add_argument('--max-positions', default='255',
                   help="positions corrected per iteration (official 255; 'none': all of alpha)")
    p.add_argument('--index-page-offset', type=int, default=1, choices=(0, 1),
                   help='1: decode positions as the official code (off by one); 0: as intended')
    p.add_argument('--loop-counter', default='uint8', choices=('uint8', 'double'),
                   help="uint8: the official loop's len3 - i saturates at 255, one position "
                        "visited 255 times (what MATLAB/Octave run); double: 255 ranked positions")
    p.add_argument('--num', type=int, default=10, help='skimage: number of crops')
    p.add_argument('--size', type=int, default=100, help='skimage: crop size')
    p.add_argument('--out', default='work_dirs/cogd_csc')
    p.add_argument('--report', action='store_true', help='only write the report of finished runs')
    return p.parse_args(argv)


def load_images(name, args):
    from mmlean.projects.cogd.csc import load_image_folder, skimage_crops
    from mmlean.projects.cogd.csc_official import load_official_images
    if name == 'skimage':
        return skimage_crops(args.num, args.size, seed=0)
    folder = osp.join(args.data_root, NAMED_SETS[name]) if name in NAMED_SETS else name
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'{folder}: no such folder. --data {name} reads 10 grayscale 100x100 images from '
            f'<data-root>/{NAMED_SETS.get(name, "<folder>")}/ (the FFCSC sets that ship with the '
            'official CoGD code, CSC/datasets/Images/); nothing is downloaded')
    # official: CreateImages' grayscale + local_cn + zero mean; ours: our restatement
    return load_official_images(folder) if args.protocol == 'official' else load_image_folder(
        folder)


def solve(images, mask, method, task, seed, args):
    """One run; returns its metrics and per-iteration history."""
    cogd = method == 'CoGD'
    if args.protocol == 'official':
        from mmlean.projects.cogd.csc_official import OfficialCSCConfig, OfficialLoopCSC
        rule = ('backtrack' if task == 'reconstruction' else 'rescale') if cogd else None
        cfg = OfficialCSCConfig(
            num_filters=args.filters, filter_size=args.filter_size, lam=args.lam,
            outer_iters=args.iters, inner_iters=args.inner, seed=seed, rule=rule,
            max_positions=None if args.max_positions == 'none' else int(args.max_positions),
            index_page_offset=args.index_page_offset, loop_counter=args.loop_counter)
        solver = OfficialLoopCSC(images, mask, cfg).run()
        metrics = solver.metrics()
        rec = solver.reconstruction()
    else:
        from mmlean.projects.cogd.csc import ConvSparseCoding, CSCConfig, psnr, ssim
        extra = {}
        if cogd:
            extra = (dict(rule='backtrack', alpha=1 / 2) if task == 'reconstruction' else
                     dict(rule='rescale', alpha=1 / 3, beta=0.05, rescale_step=0.1))
        cfg = CSCConfig(num_filters=args.filters, filter_size=args.filter_size,
                        outer_iters=args.iters, inner_iters=args.inner, lam=args.lam,
                        seed=seed, **extra)
        solver = ConvSparseCoding(images, mask, cfg).run()
        rec = solver.reconstruction()
        n = images.shape[0]
        metrics = dict(psnr=sum(psnr(rec[i], images[i]) for i in range(n)) / n,
                       ssim=sum(ssim(rec[i], images[i]) for i in range(n)) / n)
    history = [{k: v for k, v in h.items() if isinstance(v, (int, float, bool))}
               for h in solver.history]
    return metrics, history, rec


def run_campaign(args):
    import numpy as np
    import torch

    from mmlean.compat.atomic_write import atomic_write_bytes
    from mmlean.projects.cogd.csc import random_mask
    runs_dir = osp.join(args.out, 'runs')
    os.makedirs(runs_dir, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(',')]
    tasks = args.tasks.split(',')
    for task in tasks:
        if task not in TASKS:
            raise ValueError(f'--tasks: {task!r} is not one of {TASKS}')
    print(f'protocol {args.protocol}, threads {torch.get_num_threads()}', flush=True)
    for data in args.data.split(','):
        images = load_images(data, args)
        for task in tasks:
            for seed in seeds:
                mask = (random_mask(tuple(images.shape), args.keep, seed=seed)
                        if task == 'inpainting' else None)
                for method in METHODS:
                    name = f'{osp.basename(data.rstrip("/"))}_{task}_{method}_s{seed}.json'
                    path = osp.join(runs_dir, name)
                    if osp.exists(path):
                        print(f'{name}: done before, kept', flush=True)
                        continue
                    start = time.perf_counter()
                    metrics, history, rec = solve(images, mask, method, task, seed, args)
                    # the reconstruction, for metrics computed later (float32, 0.4 MB)
                    buffer = io.BytesIO()
                    np.save(buffer, rec.float().numpy())
                    atomic_write_bytes(buffer.getvalue(), path[:-len('.json')] + '.npy')
                    record = dict(data=data, task=task, method=method, seed=seed,
                                  protocol=args.protocol, max_positions=args.max_positions,
                                  index_page_offset=args.index_page_offset,
                                  loop_counter=args.loop_counter,
                                  seconds=time.perf_counter() - start, history=history,
                                  **metrics)
                    atomic_write_bytes(json.dumps(record, indent=1).encode(), path)
                    print(f"{name}: PSNR {metrics['psnr']:.4f} dB, SSIM {metrics['ssim']:.4f} "
                          f"({record['seconds']:.0f} s)", flush=True)


def _mean_std(values):
    if not values:
        return float('nan'), float('nan')
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def report(out):
    """Mean +- std per (data, task, method) and the paired CoGD - FFCSC difference."""
    runs_dir = osp.join(out, 'runs')
    records = []
    names = sorted(os.listdir(runs_dir)) if osp.isdir(runs_dir) else []
    for name in (n for n in names if n.endswith('.json')):
        with open(osp.join(runs_dir, name)) as f:
            records.append(json.load(f))
    rows, table = {}, []
    for r in records:
        key = (osp.basename(r['data'].rstrip('/')), r['task'])
        rows.setdefault(key, {}).setdefault(r['method'], {})[r['seed']] = r
    lines = ['| data | task | seeds | FFCSC PSNR | CoGD PSNR | CoGD - FFCSC (paired) | '
             'FFCSC SSIM | CoGD SSIM | SSIM with Octave 7 cov (FFCSC / CoGD) |',
             '|---|---|---|---|---|---|---|---|---|']
    for (data, task), methods in sorted(rows.items()):
        base, cogd = methods.get('FFCSC', {}), methods.get('CoGD', {})
        seeds = sorted(set(base) & set(cogd))
        if not seeds:
            continue
        stats = {}
        for label, runs in (('FFCSC', base), ('CoGD', cogd)):
            stats[label] = (_mean_std([runs[s]['psnr'] for s in seeds]),
                            _mean_std([runs[s]['ssim'] for s in seeds]))
        diff = _mean_std([cogd[s]['psnr'] - base[s]['psnr'] for s in seeds])
        octave = [_mean_std([runs[s]['ssim_octave7'] for s in seeds])
                  if all('ssim_octave7' in runs[s] for s in seeds) else None
                  for runs in (base, cogd)]
        entry = dict(data=data, task=task, seeds=seeds,
                     ffcsc_psnr=stats['FFCSC'][0], cogd_psnr=stats['CoGD'][0], diff=diff,
                     ffcsc_ssim=stats['FFCSC'][1], cogd_ssim=stats['CoGD'][1],
                     ssim_octave7=octave,
                     per_seed={s: dict(ffcsc=base[s]['psnr'], cogd=cogd[s]['psnr'])
                               for s in seeds})
        table.append(entry)
        fmt = '{:.2f} ± {:.2f}'.format
        lines.append(f"| {data} | {task} | {len(seeds)} | {fmt(*stats['FFCSC'][0])} dB | "
                     f"{fmt(*stats['CoGD'][0])} dB | {diff[0]:+.3f} ± {diff[1]:.3f} dB | "
                     f"{stats['FFCSC'][1][0]:.4f} ± {stats['FFCSC'][1][1]:.4f} | "
                     f"{stats['CoGD'][1][0]:.4f} ± {stats['CoGD'][1][1]:.4f} | "
                     + (' / '.join(f'{m:.4f} ± {d:.4f}' for m, d in octave)
                        if None not in octave else 'n/a') + ' |')
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out, 'report.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'report.json'), 'w') as f:
        json.dump(table, f, indent=1)
    if table:
        figure(table, osp.join(out, 'report.png'))
    print(text, end='')
    return table


def figure(table, path):
    """Per-seed PSNR of both methods, one panel per (data, task)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(table), figsize=(3.2 * len(table), 3), squeeze=False)
    for ax, entry in zip(axes[0], table):
        seeds = entry['seeds']
        for x, s in enumerate(seeds):
            pair = entry['per_seed'][s]
            ax.plot([0, 1], [pair['ffcsc'], pair['cogd']], 'o-', color=f'C{x}', label=f'seed {s}')
        ax.set_xticks([0, 1], ['FFCSC', 'CoGD'])
        ax.set_title(f"{entry['data']} {entry['task']}", fontsize=9)
        ax.set_ylabel('PSNR (dB)')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    if not args.report:
        try:
            run_campaign(args)
        except (FileNotFoundError, ValueError) as err:
            print(f'csc_experiment.py: error: {err}', file=sys.stderr)
            return 2
    report(args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
