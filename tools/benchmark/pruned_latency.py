"""CPU latency of HRank-pruned models against the originals, in the same run.

    python tools/benchmark/pruned_latency.py [--threads 1] [--reps 50]

ResNet-56 and VGG-16 (CIFAR, 32x32, batch 1) with the paper's compress rates:
the original model, the masked model (HRank's official output: zeroed filters,
same shapes; a control that must measure ~1.0x) and the physically pruned one
(mmlean's export), each in every deploy form of
``mmlean.projects.hrank.deploy`` (BN folded in all): eager PyTorch in NCHW and
channels_last, TorchScript frozen with oneDNN Graph fusion (NCHW and
channels_last) and, for CIFAR ResNets, the fused one-call Conv3x3Net. All
candidates are timed block-interleaved (see mmlean.utils.benchmark) on
``--threads`` threads; the speed-up is given per form and for the fastest
form of each model against the fastest of the other. For ResNet-56 the
'1-ch floor' column times the same 56-layer network with 1 channel per layer:
what each form costs per layer regardless of MACs (dispatch, Python, copies).
Ranks are random: latency depends on the shapes, not on which filters go.
"""
import argparse
import os.path as osp
import statistics
import sys

from mmlean.utils.benchmark import timeit

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# (name, config, goal of the best form vs the best form, backbone of the same
# depth with 1 channel per layer: the per-layer overhead floor of each form)
CASES = [
    ('ResNet-56, paper rates (-50% FLOPs)',
     'configs/hrank/hrank_resnet56_1xb128-layerwise-30e_cifar10.py', 1.6,
     dict(type='CIFARResNet', depth=56, stem_channels=1, stage_channels=(1, 1, 1))),
    ('VGG-16, paper rates (-65% FLOPs)',
     'configs/hrank/hrank_vgg16_1xb128-layerwise-30e_cifar10.py', 1.8, None),
]
# (label, deploy form, channels_last)
FORMS = [
    ('eager NCHW', 'eager', False),
    ('eager channels_last', 'eager', True),
    ('jit+oneDNN NCHW', 'jit', False),
    ('jit+oneDNN channels_last', 'jit', True),
    ('fused Conv3x3Net', 'fused', False),
]
MODELS = ('original', 'masked', 'pruned')


def build_floor(backbone):
    """The same network with 1 channel per layer (time = overhead, not MACs)."""
    from mmpretrain.registry import MODELS as PRETRAIN
    return PRETRAIN.build(dict(type='ImageClassifier', backbone=backbone,
                               neck=dict(type='GlobalAveragePooling'),
                               head=dict(type='LinearClsHead', num_classes=10,
                                         in_channels=1))).eval()


def build(config):
    """Original, masked and pruned models of ``config`` (BN not folded yet)."""
    import copy

    import torch
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS as RAZOR

    import mmlean.projects.hrank  # noqa: F401
    from mmlean.projects.hrank.flops import conv_linear_complexity
    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, config))
    init_default_scope('mmpretrain')
    cfg.model.architecture.pop('init_cfg', None)
    algo = RAZOR.build(cfg.model)
    g = torch.Generator().manual_seed(0)
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels,
                                generator=g).double() for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    original = copy.deepcopy(algo.architecture).eval()
    algo.apply_masks()
    masked = algo.architecture.eval()
    pruned = algo.export().eval()
    shape = tuple(algo.input_shape)
    macs = (conv_linear_complexity(original, shape)[0], conv_linear_complexity(pruned, shape)[0])
    return dict(original=original, masked=masked, pruned=pruned), shape, macs


def deploy_all(models, shape):
    """{(model, form label): callable} for every form that applies, and the
    largest output difference of each form from its eager model."""
    import torch

    from mmlean.projects.hrank.deploy import deploy
    x = torch.randn(1, *shape)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    fns, diffs = {}, {}
    for label, form, cl in FORMS:
        for key, model in models.items():
            try:
                m = deploy(model, form, shape, channels_last=cl)
            except NotImplementedError:
                continue
            inp = x_cl if cl else x
            with torch.no_grad():
                diff = (m(inp) - model(x, mode='tensor')).abs().max().item()
            diffs[label] = max(diffs.get(label, 0.0), diff)
            fns[(key, label)] = lambda m=m, inp=inp: m(inp)
    return fns, diffs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=50)
    args = parser.parse_args()
    import torch

    import mmlean  # noqa: F401
    from mmlean.ops.conv3x3_net import conv3x3_net_available
    torch.set_num_threads(args.threads)
    kernel = ('compiled AVX2 kernel' if conv3x3_net_available() else
              'PyTorch reference: mmlean._ext without conv3x3_net or no AVX2/FMA')
    print(f'torch {torch.__version__}, {args.threads} thread(s), batch 1, BN folded in every '
          f'form (milliseconds, min / median of {args.reps}); Conv3x3Net: {kernel}')
    failed = False
    for name, config, goal, floor in CASES:
        models, shape, macs = build(config)
        if floor is not None:
            models['1-ch floor'] = build_floor(floor)
        fns, diffs = deploy_all(models, shape)
        with torch.no_grad():
            times = timeit(fns, args.reps, warmup=10)
        mins = {k: min(v) * 1e3 for k, v in times.items()}
        meds = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        print(f'\n{name}: conv+linear MACs {macs[0] / 1e6:.2f}M -> {macs[1] / 1e6:.2f}M '
              f'({macs[0] / macs[1]:.2f}x fewer)')
        cols = [k for k in (*MODELS, '1-ch floor') if k in models]
        print(f'  {"form":<26}' + ''.join(f'{k:>18}' for k in cols) +
              f'{"pruned speed-up":>17}{"masked ctrl":>13}{"max |diff|":>12}')
        labels = [lb for lb, _, _ in FORMS if ('pruned', lb) in mins]
        for lb in labels:
            cells = ''.join(f'{mins[(k, lb)]:8.3f} / {meds[(k, lb)]:6.3f}' for k in cols)
            speed = mins[('original', lb)] / mins[('pruned', lb)]
            control = mins[('original', lb)] / mins[('masked', lb)]
            print(f'  {lb:<26}{cells}{speed:16.2f}x{control:12.2f}x{diffs[lb]:12.1e}')
        best = {k: min(labels, key=lambda lb: mins[(k, lb)]) for k in MODELS}
        ratio = mins[('original', best['original'])] / mins[('pruned', best['pruned'])]
        control = mins[('original', best['original'])] / mins[('masked', best['masked'])]
        print(f'  best form vs best form: original {mins[("original", best["original"])]:.3f} ms '
              f'({best["original"]}) / pruned {mins[("pruned", best["pruned"])]:.3f} ms '
              f'({best["pruned"]}) = {ratio:.2f}x faster (goal >= {goal}x); masked control '
              f'{control:.2f}x (goal 0.9-1.1x)')
        failed |= ratio < goal or not 0.9 <= control <= 1.1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
