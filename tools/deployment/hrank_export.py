"""Export an HRank-pruned model with its pruned filters physically removed.

    python tools/deployment/hrank_export.py CONFIG CHECKPOINT --out pruned.pth
        [--eval] [--json summary.json]

Loads the fine-tuned (masked) HRank checkpoint, removes the pruned channels
with torch-pruning (conv filters, BN, next convs' inputs, residual streams),
and writes ``{'state_dict': ..., 'kept': {first conv of each group: kept
indices}}`` (tensors and lists only: it loads with weights_only=True; rebuild
with ``mmlean.projects.hrank.load_pruned``). Prints conv+linear FLOPs and
parameters before and after (ptflops); ``--eval`` also evaluates the masked
and the physically pruned model on the config's test set.
"""
import argparse
import json
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True)
    parser.add_argument('--eval', action='store_true')
    parser.add_argument('--json', help='write sizes, FLOPs and metrics here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch

    import mmlean  # noqa: F401
    from mmlean.utils.config import ConfigError, load_config
    try:
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint not found: {args.checkpoint}')
        cfg = load_config(args.config)
        if cfg.model.get('type') != 'HRank':
            raise ConfigError(f'{args.config}: model.type is {cfg.model.get("type")!r}, '
                              "expected 'HRank'")
    except ConfigError as err:
        print(f'hrank_export.py: error: {err}', file=sys.stderr)
        return 2
    import mmlean.projects.hrank  # noqa: F401
    from mmlean.compat.atomic_write import atomic_write_bytes
    from mmlean.projects.hrank.flops import conv_linear_complexity
    from mmlean.utils.runner import build_eval_runner
    runner = build_eval_runner(cfg, args.checkpoint, ('ProgressBarHook', 'HRankHook'),
                               'hrank_export_')
    algo = runner.model
    if not algo.prepared:
        print(f'hrank_export.py: error: {args.checkpoint} holds no HRank filter choice '
              '(was it fine-tuned with HRankHook?)', file=sys.stderr)
        return 2
    algo.apply_masks()
    shape = tuple(algo.input_shape)
    result = {}
    macs0, params0 = conv_linear_complexity(algo.architecture, shape)
    if args.eval:
        result['masked'] = {k: float(v) for k, v in runner.test().items()}
    pruned = algo.export()
    macs1, params1 = conv_linear_complexity(pruned, shape)
    kept = {g.convs[0]: list(g.kept) for g in algo.groups[:int(algo.hrank_active)]}
    import io
    buf = io.BytesIO()
    torch.save({'state_dict': pruned.state_dict(), 'kept': kept}, buf)
    atomic_write_bytes(buf.getvalue(), args.out)
    result.update(macs_before=macs0, macs_after=macs1, params_before=params0,
                  params_after=params1, file_bytes=len(buf.getvalue()))
    print(f'conv+linear MACs {macs0 / 1e6:.2f}M -> {macs1 / 1e6:.2f}M '
          f'({100 * (1 - macs1 / macs0):.1f}% fewer); params {params0 / 1e6:.3f}M -> '
          f'{params1 / 1e6:.3f}M ({100 * (1 - params1 / params0):.1f}% fewer); wrote {args.out}')
    if args.eval:
        algo.architecture = pruned
        algo.set_active(0)  # the pruned model has no channels left to mask
        result['pruned'] = {k: float(v) for k, v in runner.test().items()}
        for key in result['pruned']:
            print(f'{key}: masked {result["masked"][key]:.4f}, physically pruned '
                  f'{result["pruned"][key]:.4f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
