"""Parameters, FLOPs and CPU latency of detectors with and without IFF, in the same run.

    python tools/analysis_tools/iff_cost.py [--flops-shape 800 1333] [--latency-shape 512 512]
        [--threads 1] [--reps 3] [--only retinanet fcos ...] [--json cost.json]

For each pair configs/iff/<name>.py (mmdet's baseline) and configs/iff/iff_<name>.py:
parameters, FLOPs of the network forward (backbone + neck + head, no
post-processing; mmengine's complexity analysis, which counts one
multiply-add as one FLOP) and the median latency of that forward on the CPU,
the two models timed interleaved. SSD300 runs at 300x300.
"""
import argparse
import json
import os.path as osp
import statistics
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRS = ['retinanet_r50_fpn_1x_coco', 'freeanchor_r50_fpn_1x_coco', 'fovea_r50_fpn_4xb4-1x_coco',
         'fcos_r50-caffe_fpn_gn-head_1x_coco', 'ssd300_voc0712']


def tensor_forward(model):
    """``model._forward`` (tensor mode) as a plain module for the analysers."""
    import torch.nn as nn

    class TensorForward(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m._forward(x)

    return TensorForward(model)


def build(config):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)  # random weights (no pretrained download): cost only
    return tensor_forward(model.eval())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--flops-shape', type=int, nargs=2, default=[800, 1333])
    parser.add_argument('--latency-shape', type=int, nargs=2, default=[512, 512])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--only', nargs='+', help='substrings of the pair names to run')
    parser.add_argument('--json')
    args = parser.parse_args()
    import warnings

    import torch
    from mmengine.analysis import get_model_complexity_info

    import mmlean.projects.iff  # noqa: F401
    from mmlean.utils.benchmark import timeit
    warnings.filterwarnings('ignore')
    torch.set_num_threads(args.threads)
    rows = []
    for name in PAIRS:
        if args.only and not any(s in name for s in args.only):
            continue
        models = {k: build(f'configs/iff/{p}{name}.py') for k, p in (('base', ''), ('iff', 'iff_'))}
        assert type(models['iff'].m.bbox_head).__name__.startswith('IFF'), name
        ssd = name.startswith('ssd')
        fshape = (300, 300) if ssd else tuple(args.flops_shape)
        lshape = (300, 300) if ssd else tuple(args.latency_shape)
        row = dict(name=name, flops_shape=fshape, latency_shape=lshape)
        for key, model in models.items():
            with torch.no_grad():
                info = get_model_complexity_info(model, input_shape=(3, *fshape), show_table=False,
                                                 show_arch=False)
            row[f'{key}_flops'] = info['flops']
            row[f'{key}_params'] = info['params']
        x = torch.rand(1, 3, *lshape)
        with torch.no_grad():
            times = timeit({k: (lambda m=m: m(x)) for k, m in models.items()}, args.reps,
                           warmup=1, block=1)
        for key in models:
            row[f'{key}_ms'] = statistics.median(times[key]) * 1e3
        rows.append(row)
        print(f"{name}: params {row['base_params'] / 1e6:.2f}M -> {row['iff_params'] / 1e6:.2f}M "
              f"(+{100 * (row['iff_params'] / row['base_params'] - 1):.1f}%), "
              f"FLOPs@{fshape[0]}x{fshape[1]} "
              f"{row['base_flops'] / 1e9:.1f}G -> {row['iff_flops'] / 1e9:.1f}G "
              f"(+{100 * (row['iff_flops'] / row['base_flops'] - 1):.1f}%), "
              f"latency@{lshape[0]}x{lshape[1]} "
              f"{row['base_ms']:.0f} -> {row['iff_ms']:.0f} ms "
              f"({row['iff_ms'] / row['base_ms']:.2f}x), "
              f"{torch.get_num_threads()} thread(s)", flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
