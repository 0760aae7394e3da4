"""FLOPs and parameters of HRank's paper models: the paper, HRank's own
formula, and the physically pruned network counted by ptflops.

    python tools/analysis_tools/hrank_flops.py [--json out.json]

For each HRank config with the paper's compress rates: the numbers of the
paper's table; the same quantity computed with the official
``cal_flops_params.py`` rule (each conv loses ``int(rate*F)`` output filters,
input channels are not reduced, so it is analytic); and conv+linear MACs and
all parameters of the model mmlean actually exports (channels physically
removed, next layers' inputs included, residual-tied channels kept), counted
by ptflops. Ranks are random: FLOPs depend only on how many filters are kept.
"""
import argparse
import json
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# model, config, (paper FLOPs, paper params), (paper baseline FLOPs, params), note
PAPER = [
    ('ResNet-56', 'configs/hrank/hrank_resnet56_1xb128-layerwise-30e_cifar10.py',
     (62.72e6, 0.49e6), (125.49e6, 0.85e6), ''),
    ('ResNet-110', 'configs/hrank/hrank_resnet110_1xb128-layerwise-30e_cifar10.py',
     (156.90e6, 1.04e6), (252.89e6, 1.72e6), 'the paper printed 148.70M; the README corrects it'),
    ('VGG-16', 'configs/hrank/hrank_vgg16_1xb128-layerwise-30e_cifar10.py',
     (108.61e6, 2.64e6), (313.73e6, 14.98e6),
     "the official counter forces the 13th conv's rate to 0 and gives 116.63M / 4.81M"),
    ('DenseNet-40', 'configs/hrank/hrank_densenet40_1xb64-layerwise-30e_cifar10.py',
     (167.41e6, 0.66e6), (282.00e6, 1.04e6),
     'the official counter also removes the inputs its dense blocks pruned from '
     'the transitions (last_prune_num); so does our formula'),
    ('GoogLeNet', 'configs/hrank/hrank_googlenet_1xb128-layerwise-30e_cifar10.py',
     (0.45e9, 1.86e6), (1.52e9, 6.15e6),
     'units as the official mask_googlenet (both 3x3 convs of the 5x5 branch); '
     'the official counter gives 450.06M / 1.858M'),
    ('ResNet-50 (ImageNet)', 'configs/hrank/hrank_resnet50_8xb32-oneshot-90e_in1k.py',
     (1.55e9, 13.77e6), (4.09e9, 25.50e6), ''),
]


def measure(config):
    import torch
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.hrank  # noqa: F401
    from mmlean.projects.hrank.flops import conv_linear_complexity, hrank_formula
    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    arch = cfg.model.architecture
    arch.pop('init_cfg', None)  # no pretrained weights needed to count
    algo = MODELS.build(cfg.model)
    shape = tuple(algo.input_shape)
    formula = hrank_formula(algo.architecture, algo.units, algo.rates, shape)
    base = conv_linear_complexity(algo.architecture, shape)
    g = torch.Generator().manual_seed(0)
    ranks = {u.conv: torch.rand(algo.architecture.get_submodule(u.conv).out_channels,
                                generator=g).double() for u in algo.units}
    algo.prepare(ranks)
    algo.set_active(len(algo.groups))
    physical = conv_linear_complexity(algo.export(), shape)
    return dict(formula=formula, baseline=base, physical=physical)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json')
    args = parser.parse_args()
    import mmlean  # noqa: F401
    rows = []
    fmt = lambda v: f'{v / 1e9:.2f}B' if v >= 1e9 else f'{v / 1e6:.2f}M'  # noqa: E731
    print(f'{"model":<22}{"paper FLOPs/params":>22}{"HRank formula":>22}{"Δ vs paper":>14}'
          f'{"physical (ptflops)":>24}{"baseline (ptflops)":>24}')
    for name, config, paper, paper_base, note in PAPER:
        m = measure(config)
        f_macs, f_params = m['formula']
        d_macs = (f_macs - paper[0]) / paper[0] * 100
        d_params = (f_params - paper[1]) / paper[1] * 100
        print(f'{name:<22}{fmt(paper[0]) + " / " + fmt(paper[1]):>22}'
              f'{fmt(f_macs) + " / " + fmt(f_params):>22}{f"{d_macs:+.1f}% / {d_params:+.1f}%":>14}'
              f'{fmt(m["physical"][0]) + " / " + fmt(m["physical"][1]):>24}'
              f'{fmt(m["baseline"][0]) + " / " + fmt(m["baseline"][1]):>24}')
        if note:
            print(f'{"":<22}note: {note}')
        rows.append(dict(model=name, config=config, paper=paper, paper_baseline=paper_base,
                         note=note, **m))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=2)


if __name__ == '__main__':
    main()
