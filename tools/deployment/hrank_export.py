"""Export an HRank-pruned model with its pruned filters physically removed.

    python tools/deployment/hrank_export.py CONFIG CHECKPOINT --out pruned.pth
        [--eval] [--json summary.json] [--deploy {eager,jit,fused} [--deploy-out m.pt]]

Loads the fine-tuned (masked) HRank checkpoint, removes the pruned channels
with torch-pruning (conv filters, BN, next convs' inputs, residual streams),
and writes ``{'state_dict': ..., 'kept': {first conv of each group: kept
indices}}`` (tensors and lists only: it loads with weights_only=True; rebuild
with ``mmlean.projects.hrank.load_pruned``). Prints conv+linear FLOPs and
parameters before and after (ptflops); ``--eval`` also evaluates the masked
and the physically pruned model on the config's test set.

``--deploy FORM`` also builds a deploy form of the pruned model
(``mmlean.projects.hrank.deploy``, BN folded): ``eager``, ``jit``
(TorchScript frozen with oneDNN Graph fusion; ``--deploy-out`` saves it) or
``fused`` (CIFAR ResNets: the whole network as one Conv3x3Net call, the
fastest on CPU at batch 1); it checks that the deployed model gives the eager
pruned model's outputs on random inputs and keeps its filters, and prints the
batch-1 latency of both (one thread).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True)
    parser.add_argument('--eval', action='store_true')
    parser.add_argument('--json', help='write sizes, FLOPs and metrics here')
    parser.add_argument('--deploy', choices=('eager', 'jit', 'fused'),
                        help='also build, check and time this deploy form of the pruned model')
    parser.add_argument('--deploy-out', help='with --deploy jit: save the TorchScript module here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys (see tools/train.py), e.g. '
                        'test_dataloader.num_workers=0')
    return parser.parse_args(argv)


def check_deploy(pruned, form, shape, out=None):
    """Build ``form`` of ``pruned``, compare its outputs and filters with the
    eager model, time both at batch 1; None (after a message) if it cannot."""
    import statistics

    import torch

    from mmlean.projects.hrank.deploy import conv_channels, deploy
    from mmlean.utils.benchmark import timeit
    try:
        deployed = deploy(pruned, form, shape)
    except NotImplementedError as err:
        print(f'hrank_export.py: error: --deploy {form}: {err}', file=sys.stderr)
        return None
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(0))
    eager = deploy(pruned, 'eager', shape)
    with torch.no_grad():
        diff = (deployed(x) - pruned(x, mode='tensor')).abs().max().item()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            times = timeit({'eager': lambda: eager(x), form: lambda: deployed(x)}, 30)
        finally:
            torch.set_num_threads(threads)
    ms = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    if form == 'fused' and deployed.conv_channels() != conv_channels(pruned):
        print('hrank_export.py: error: the fused program lost filters', file=sys.stderr)
        return None
    print(f'deploy {form}: max |output - eager pruned output| = {diff:.2e}; batch-1 latency '
          f'(1 thread, median): eager {ms["eager"]:.3f} ms, {form} {ms[form]:.3f} ms')
    if out:
        torch.jit.save(deployed, out)
        print(f'wrote {out}')
    return dict(form=form, max_abs_diff=diff, eager_ms=ms['eager'], deployed_ms=ms[form])


def main(argv=None):
    args = parse_args(argv)
    import torch

    import mmlean  # noqa: F401
    from mmlean.utils.config import ConfigError, load_config
    try:
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint not found: {args.checkpoint}')
        cfg = load_config(args.config, args.cfg_options)
        if cfg.model.get('type') != 'HRank':
            raise ConfigError(f'{args.config}: model.type is {cfg.model.get("type")!r}, '
                              "expected 'HRank'")
        if args.deploy_out and args.deploy != 'jit':
            raise ConfigError('--deploy-out saves the TorchScript module of --deploy jit')
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

    def counted(model):  # on a detector, HRank prunes (and we count) the traced backbone
        return model.get_submodule(algo.backbone_path) if algo.trace_backbone_only else model

    macs0, params0 = conv_linear_complexity(counted(algo.architecture), shape)
    if args.eval:
        result['masked'] = {k: float(v) for k, v in runner.test().items()}
    pruned = algo.export()
    macs1, params1 = conv_linear_complexity(counted(pruned), shape)
    kept = {g.convs[0]: list(g.kept) for g in algo.groups[:int(algo.hrank_active)]}
    import io
    buf = io.BytesIO()
    torch.save({'state_dict': pruned.state_dict(), 'kept': kept}, buf)
    atomic_write_bytes(buf.getvalue(), args.out)
    result.update(macs_before=macs0, macs_after=macs1, params_before=params0,
                  params_after=params1, file_bytes=len(buf.getvalue()))
    what = f'{algo.backbone_path} ' if algo.trace_backbone_only else ''
    print(f'{what}conv+linear MACs {macs0 / 1e6:.2f}M -> {macs1 / 1e6:.2f}M '
          f'({100 * (1 - macs1 / macs0):.1f}% fewer); params {params0 / 1e6:.3f}M -> '
          f'{params1 / 1e6:.3f}M ({100 * (1 - params1 / params0):.1f}% fewer); wrote {args.out}')
    if args.deploy:
        result['deploy'] = check_deploy(pruned.eval(), args.deploy, shape, args.deploy_out)
        if result['deploy'] is None:
            return 2
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
