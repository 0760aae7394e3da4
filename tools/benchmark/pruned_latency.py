"""CPU latency of HRank-pruned models against the originals, in the same run.

    python tools/benchmark/pruned_latency.py [--threads 1] [--reps 50]

ResNet-56 and VGG-16 (CIFAR, 32x32, batch 1) with the paper's compress rates:
the original model, the masked model (HRank's official output: zeroed filters,
same shapes; a control that must measure ~1.0x) and the physically pruned one
(mmlean's export), timed block-interleaved (see binary_conv.py) on 1 thread.
Ranks are random: latency depends on the shapes, not on which filters go.
"""
import argparse
import os.path as osp
import statistics
import sys

from mmlean.utils.benchmark import timeit

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CASES = [
    ('ResNet-56, paper rates (-50% FLOPs)',
     'configs/hrank/hrank_resnet56_1xb128-layerwise-30e_cifar10.py', 1.3),
    ('VGG-16, paper rates (-65% FLOPs)',
     'configs/hrank/hrank_vgg16_1xb128-layerwise-30e_cifar10.py', 1.8),
]


def build(config):
    import copy

    import torch
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.hrank  # noqa: F401
    from mmlean.projects.hrank.flops import conv_linear_complexity
    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, config))
    init_default_scope('mmpretrain')
    cfg.model.architecture.pop('init_cfg', None)
    algo = MODELS.build(cfg.model)
    g = torch.Generator().manual_seed(0)
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels,
                                generator=g).double() for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    from mmcv.cnn import fuse_conv_bn
    original = copy.deepcopy(algo.architecture).eval()
    algo.apply_masks()
    masked = algo.architecture.eval()
    pruned = algo.export().eval()
    shape = tuple(algo.input_shape)
    macs = (conv_linear_complexity(original, shape)[0], conv_linear_complexity(pruned, shape)[0])
    # deploy form of all three: BatchNorm folded into the preceding conv
    # (mmcv.cnn.fuse_conv_bn), as any inference deployment does
    original, masked, pruned = (fuse_conv_bn(m) for m in (original, masked, pruned))
    return original, masked, pruned, shape, macs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=50)
    args = parser.parse_args()
    import copy

    import torch

    import mmlean  # noqa: F401
    torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {args.threads} thread(s), batch 1 '
          f'(milliseconds, min / median of {args.reps})')
    failed = False
    for name, config, goal in CASES:
        original, masked, pruned, shape, macs = build(config)
        x = torch.randn(1, *shape)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        fns = {}
        for key, model in (('original', original), ('masked', masked), ('pruned', pruned)):
            cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
            fns[key] = lambda m=model: m(x, mode='tensor')
            fns[key + '_cl'] = lambda m=cl: m(x_cl, mode='tensor')
        with torch.no_grad():
            times = timeit(fns, args.reps, warmup=10)
        mins = {k: min(v) * 1e3 for k, v in times.items()}
        meds = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        speed = mins['original'] / mins['pruned']
        control = mins['original'] / mins['masked']
        speed_cl = mins['original_cl'] / mins['pruned_cl']
        best = min(mins['original'], mins['original_cl']) / min(mins['pruned'], mins['pruned_cl'])
        print(f'\n{name}: conv+linear MACs {macs[0] / 1e6:.2f}M -> {macs[1] / 1e6:.2f}M '
              f'({macs[0] / macs[1]:.2f}x fewer)')
        print(f'  {"":<9}{"NCHW":>18}{"channels_last":>20}')
        for k in ('original', 'masked', 'pruned'):
            print(f'  {k:<9}{mins[k]:8.3f} / {meds[k]:6.3f} ms{mins[k + "_cl"]:8.3f} / '
                  f'{meds[k + "_cl"]:6.3f} ms')
        print(f'  physically pruned, default (NCHW) layout: {speed:.2f}x faster (goal >= '
              f'{goal}x); masked control: {control:.2f}x (goal 0.9-1.1x)')
        print(f'  channels_last vs channels_last: {speed_cl:.2f}x; best layout vs best '
              f'layout: {best:.2f}x')
        failed |= speed < goal or not 0.9 <= control <= 1.1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
