"""AMSNet (searched) vs CSRNet: parameters, MACs and CPU latency at 512 x 512, batch 1.

    python tools/benchmark/nascount.py [--threads 1] [--reps 10] [--size 512]
        [--fix-subnet configs/nascount/AMSNet_synthetic-crowd.yaml]

The networks are built from their configs (the searched AMSNet from a fix_subnet YAML,
rebuilt by ``mmrazor.sub_model``, at the synthetic-set width C=16 and at the real-set
width C=32; CSRNet = VGG-16 front end + dilated back end); MACs count conv and
transposed-conv layers (forward hooks:
``out elements x in/groups x kh x kw`` for convs, ``in elements x out/groups x kh x kw``
for transposed convs), the usual "FLOPs" of counting papers. Latency is the
median of interleaved blocks (mmlean.utils.benchmark.timeit), on ``--threads``
threads, ratios against CSRNet measured in the same run.
"""
import argparse
import os.path as osp
import statistics
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'nascount')


def conv_macs(model, shape):
    """Multiply-accumulates of every Conv2d / ConvTranspose2d for one input of ``shape``."""
    import torch
    import torch.nn as nn
    total = [0]

    def hook(module, inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.ConvTranspose2d):
            total[0] += inputs[0].numel() * module.out_channels // module.groups * k
        else:
            total[0] += output.numel() * module.in_channels // module.groups * k

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model(torch.zeros(1, *shape), mode='tensor')
    for h in handles:
        h.remove()
    return total[0]


def build(config, fix_subnet=None):
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    import mmlean.projects.nascount  # noqa: F401
    init_default_scope('mmengine')
    cfg = Config.fromfile(osp.join(CFG, config))
    if fix_subnet is not None:
        cfg.model.fix_subnet = fix_subnet
    return MODELS.build(cfg.model).eval()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=10)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--fix-subnet', default=osp.join(CFG, 'AMSNet_synthetic-crowd.yaml'))
    args = parser.parse_args(argv)
    import torch

    from mmlean.utils.benchmark import timeit
    torch.set_num_threads(args.threads)
    models = {
        'AMSNet (searched)': build('nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py',
                                   args.fix_subnet),
        'AMSNet (searched, C=32, real-set configs)': build(
            'nascount_amsnet-searched_1xb4-400e_shanghaitech-a.py', args.fix_subnet),
        'CSRNet': build('csrnet_vgg16_1xb8-60e_synthetic-crowd.py'),
    }
    shape = (3, args.size, args.size)
    x = torch.randn(1, *shape)
    rows = {}
    for name, model in models.items():
        rows[name] = dict(params=sum(p.numel() for p in model.parameters()),
                          macs=conv_macs(model, shape))

    def runner(model):
        def fn():
            with torch.no_grad():
                model(x, mode='tensor')
        return fn

    times = timeit({n: runner(m) for n, m in models.items()}, reps=args.reps, warmup=2,
                   block=1)
    base = statistics.median(times['CSRNet'])
    print(f'input 1x3x{args.size}x{args.size}, {args.threads} thread(s), {args.reps} reps')
    print('| network | params (M) | GMACs | latency (ms) | CSRNet latency / this |')
    print('|---|---|---|---|---|')
    for name, r in rows.items():
        t = statistics.median(times[name])
        print(f"| {name} | {r['params'] / 1e6:.3f} | {r['macs'] / 1e9:.2f} | {t * 1e3:.1f} | "
              f'{base / t:.2f}x |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
