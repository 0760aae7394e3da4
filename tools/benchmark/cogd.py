"""CoGD cost on CPU: optimizer step time vs SGD, pruned-model latency vs original.

    OMP_NUM_THREADS=1 python tools/benchmark/cogd.py [--threads 1] [--reps 30]

1. Optimizer step on a CIFAR ResNet-56 with soft masks
   (configs/cogd/cogd_resnet56_1xb128-30e_cifar10.py, 27 coupled pairs):
   ``torch.optim.SGD`` (momentum, weight decay) vs :class:`CoGD` with the
   same settings and no correction (``rule='none'``: the proximal l1 step and
   the per-pair bookkeeping) vs CoGD with the paper's correction, on fixed
   random gradients with a third of the masks at zero (so the correction
   runs). Only ``optimizer.step()`` is timed; the ratio is the overhead, also
   given as a share of one training iteration (forward + backward, batch 128).
2. Latency of the physically pruned ResNet-56 (half of each masked conv's
   channels removed) against the unpruned one, batch 1, BatchNorm folded into
   the convs (mmcv.cnn.fuse_conv_bn) for both.
All timings interleaved in the same run (mmlean.utils.benchmark.timeit).
"""
import argparse
import copy
import os.path as osp
import statistics

import torch

from mmlean.utils.benchmark import timeit

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/cogd/cogd_resnet56_1xb128-30e_cifar10.py'


def build():
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.cogd  # noqa: F401
    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, CONFIG))
    init_default_scope('mmpretrain')
    cfg.model.architecture.pop('init_cfg', None)
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


def optimizer_steps(cfg, algo, reps):
    from mmengine.optim import build_optim_wrapper
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in algo.masks().values():
            m[::3] = 0
    params = [p for p in algo.parameters() if p.requires_grad]
    grads = [torch.randn(p.shape, generator=g) * 1e-3 for p in params]
    kw = dict(lr=1e-4, momentum=0.9, weight_decay=5e-4)
    opts = {'SGD': torch.optim.SGD(params, **kw)}
    for name, rule in (('CoGD (no correction)', 'none'), ('CoGD (paper)', 'paper')):
        ocfg = copy.deepcopy(cfg.optim_wrapper)
        ocfg.optimizer.rule = rule
        ocfg.optimizer.update(kw)
        ocfg.paramwise_cfg.cogd_pairs[0]['l1'] = 0.0  # keep the masks' zeros as they are
        opts[name] = build_optim_wrapper(algo, ocfg).optimizer
    for p, gr in zip(params, grads):
        p.grad = gr
    # each candidate steps from the same weights: the tiny lr keeps them there
    fns = {name: opt.step for name, opt in opts.items()}
    times = timeit(fns, reps, warmup=3)
    # context: one training iteration (forward + backward, batch 128) of the same model
    x = torch.randn(128, *algo.input_shape)

    def fwd_bwd():
        algo.zero_grad()
        algo(x, mode='tensor').sum().backward()

    iteration = min(timeit({'it': fwd_bwd}, 2, warmup=1, block=1)['it'])
    for p, gr in zip(params, grads):
        p.grad = gr
    pairs = opts['CoGD (paper)']
    selected = pairs.selected()
    base = min(times['SGD'])
    print(f'\noptimizer step, ResNet-56 with soft masks ({len(params)} tensors, '
          f'{sum(p.numel() for p in params) / 1e3:.1f}k parameters, {len(algo.groups)} pairs, '
          f'{selected} zero-mask channels corrected per step)')
    for name, t in times.items():
        print(f'  {name:22s} {min(t) * 1e3:7.3f} / {statistics.median(t) * 1e3:7.3f} ms '
              f'(min / median)  {min(t) / base:5.2f}x SGD, '
              f'{100 * (min(t) - base) / iteration:.1f}% of a training iteration')
    print(f'  (forward + backward at batch 128: {iteration * 1e3:.0f} ms)')


def latency(algo, reps):
    from mmcv.cnn import fuse_conv_bn

    from mmlean.projects.hrank.flops import conv_linear_complexity
    shape = algo.input_shape
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in algo.masks().values():
            m.copy_(torch.rand(m.shape, generator=g))
    original = algo.masked_copy(drop=False).eval()
    pruned = algo.export().eval()
    macs = conv_linear_complexity(original, shape), conv_linear_complexity(pruned, shape)
    original, pruned = fuse_conv_bn(original), fuse_conv_bn(pruned)
    x = torch.randn(1, *shape)
    with torch.no_grad():
        times = timeit({'original': lambda: original(x, mode='tensor'),
                        'pruned': lambda: pruned(x, mode='tensor')}, reps, warmup=10)
    mins = {k: min(v) * 1e3 for k, v in times.items()}
    meds = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(f'\nlatency, batch 1, ResNet-56 (conv+linear MACs {macs[0][0] / 1e6:.2f}M -> '
          f'{macs[1][0] / 1e6:.2f}M, params {macs[0][1] / 1e3:.1f}k -> '
          f'{macs[1][1] / 1e3:.1f}k)')
    for k in ('original', 'pruned'):
        print(f'  {k:9s} {mins[k]:7.3f} / {meds[k]:7.3f} ms (min / median)')
    print(f'  pruned: {mins["original"] / mins["pruned"]:.2f}x faster '
          f'(MACs {macs[0][0] / macs[1][0]:.2f}x fewer)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {args.threads} thread(s)')
    cfg, algo = build()
    optimizer_steps(cfg, algo, args.reps)
    latency(algo, args.reps)


if __name__ == '__main__':
    main()
