"""CSC reconstruction and inpainting: FFCSC baseline vs CoGD on the same runs.

    OMP_NUM_THREADS=1 python tools/cogd/csc_experiment.py [--data skimage|fruit|city|PATH]
        [--num 8 --size 80 --filters 64 --iters 20] [--out work_dirs/cogd_csc]

For each task both solvers start from the same filters (same seed), see the
same images and (inpainting) the same seeded mask keeping 75% of the pixels;
CoGD adds the official code's correction on the filters (reconstruction:
``backtracking_d.m``, alpha 1/2; inpainting: ``backtracking_btb.m``, alpha
1/3, beta 0.05, step 0.1). Prints PSNR / SSIM of ``D z`` against the full
images (mean over images) and writes a PNG of filters and reconstructions plus
a JSON of the numbers. The official setting is ``--data fruit --num 10 --size
100 --filters 100 --iters 20`` (needs data/cogd/fruit_100_100/).
"""
import argparse
import json
import os
import os.path as osp
import time

import torch

from mmlean.projects.cogd.csc import (ConvSparseCoding, CSCConfig, load_image_folder, psnr,
                                      random_mask, skimage_crops, ssim)

OFFICIAL = {'fruit': 'data/cogd/fruit_100_100', 'city': 'data/cogd/city_100_100'}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', default='skimage',
                   help="'skimage' (crops of scikit-image's photographs), 'fruit', 'city' "
                   '(FFCSC sets under data/cogd/) or a folder of images')
    p.add_argument('--num', type=int, default=8, help='images (skimage crops)')
    p.add_argument('--size', type=int, default=80, help='crop size (skimage)')
    p.add_argument('--filters', type=int, default=64)
    p.add_argument('--filter-size', type=int, default=11)
    p.add_argument('--iters', type=int, default=20, help='outer iterations')
    p.add_argument('--inner', type=int, default=10, help='ADMM steps per sub-solve')
    p.add_argument('--lam', type=float, default=1.0)
    p.add_argument('--keep', type=float, default=0.75, help='inpainting: kept pixel fraction')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--tasks', default='reconstruction,inpainting')
    p.add_argument('--recon-rule', default='backtrack',
                   help="CoGD rule for reconstruction (official: 'backtrack')")
    p.add_argument('--inpaint-rule', default='rescale',
                   help="CoGD rule for inpainting (official: 'rescale')")
    p.add_argument('--out', default='work_dirs/cogd_csc')
    return p.parse_args()


def load(args):
    if args.data == 'skimage':
        return skimage_crops(args.num, args.size, seed=args.seed)
    return load_image_folder(OFFICIAL.get(args.data, args.data))


def evaluate(solver, images):
    rec = solver.reconstruction()
    n = images.shape[0]
    return dict(psnr=sum(psnr(rec[i], images[i]) for i in range(n)) / n,
                ssim=sum(ssim(rec[i], images[i]) for i in range(n)) / n)


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    images = load(args)
    os.makedirs(args.out, exist_ok=True)
    print(f'data {args.data}: {tuple(images.shape)}, {args.filters} filters '
          f'{args.filter_size}x{args.filter_size}, {args.iters} x ({args.inner} + {args.inner}) '
          f'ADMM steps, lam {args.lam}, threads {torch.get_num_threads()}', flush=True)
    tasks = dict(
        reconstruction=(None, dict(rule=args.recon_rule, alpha=1 / 2)),
        inpainting=(random_mask(tuple(images.shape), args.keep, seed=args.seed),
                    dict(rule=args.inpaint_rule, alpha=1 / 3, beta=0.05, rescale_step=0.1)))
    results, solvers = {}, {}
    for task in args.tasks.split(','):
        mask, cogd = tasks[task]
        for name, extra in (('FFCSC', {}), ('CoGD', cogd)):
            cfg = CSCConfig(num_filters=args.filters, filter_size=args.filter_size,
                            outer_iters=args.iters, inner_iters=args.inner, lam=args.lam,
                            seed=args.seed, **extra)
            start = time.perf_counter()
            solver = ConvSparseCoding(images, mask, cfg).run()
            r = evaluate(solver, images)
            r['seconds'] = time.perf_counter() - start
            r['nonzero_codes'] = solver.history[-1]['sparsity']
            results[f'{task}/{name}'] = r
            solvers[(task, name)] = solver
            print(f"{task:14s} {name:5s} PSNR {r['psnr']:6.2f} dB  SSIM {r['ssim']:.4f}  "
                  f"nnz {r['nonzero_codes']:.4f}  ({r['seconds']:.0f} s)", flush=True)
        base, ours = results[f'{task}/FFCSC'], results[f'{task}/CoGD']
        print(f"{task:14s} CoGD - FFCSC: {ours['psnr'] - base['psnr']:+.2f} dB, SSIM "
              f"{ours['ssim'] - base['ssim']:+.4f}", flush=True)
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(dict(args=vars(args), results=results), f, indent=1)
    figure(solvers, images, tasks, osp.join(args.out, 'csc.png'))
    print(f'wrote {args.out}/results.json and {args.out}/csc.png')


def figure(solvers, images, tasks, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = list(solvers)
    fig, axes = plt.subplots(2, len(keys) + 1, figsize=(3 * (len(keys) + 1), 6))
    axes[0, 0].imshow(images[0], cmap='gray')
    axes[0, 0].set_title('input (LCN)')
    mask = tasks['inpainting'][0] if 'inpainting' in {k[0] for k in keys} else None
    if mask is not None:
        axes[1, 0].imshow(images[0] * mask[0], cmap='gray')
        axes[1, 0].set_title('masked (75% kept)')
    for j, (task, name) in enumerate(keys, start=1):
        s = solvers[(task, name)]
        rec = s.reconstruction()[0]
        axes[0, j].imshow(rec, cmap='gray')
        axes[0, j].set_title(f'{task[:7]} {name}\n{psnr(rec, images[0]):.2f} dB')
        f = s.filters()
        k = f.shape[0]
        cols = int(k**0.5 + 0.999)
        rows = (k + cols - 1) // cols
        s_ = f.shape[1] + 1
        grid = torch.full((rows * s_, cols * s_), float('nan'), dtype=torch.float64)
        for i in range(k):
            r, c = divmod(i, cols)
            fi = f[i]
            grid[r * s_:r * s_ + f.shape[1], c * s_:c * s_ + f.shape[2]] = fi / (
                fi.abs().max() + 1e-12)
        axes[1, j].imshow(grid, cmap='gray')
        axes[1, j].set_title(f'filters: {task[:7]} {name}')
    for ax in axes.flat:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == '__main__':
    main()
