"""Convert a trained binary network (RBNN or plain) to a bit-packed deploy model.

    python tools/deployment/binary_deploy.py CONFIG CHECKPOINT --out DEPLOY.pth
        [--eval] [--freeze-fp] [--input-size 32] [--no-fuse-bn] [--cfg-options key=value ...]

Every binary conv becomes bit-packed weights (1 bit per weight) with a fused
per-channel scale/BatchNorm epilogue, run by mmlean._ext's XNOR-popcount
kernel; the rest of the model is unchanged. ``--eval`` evaluates the float-
simulated model and the deploy model on the config's test set and prints both.
``--freeze-fp`` evaluates the deploy model with its full-precision parts in
their fastest CPU form (``mmlean.binary.freeze_fp_chains``: BN folded, the
stem's conv -> BN -> activation as frozen TorchScript); the file written is the
plain deploy model either way (frozen graphs are a run-time step after loading).
The deploy file holds tensors only (loads with weights_only=True); rebuild the
model from the same config and call ``mmlean.binary.load_deploy``.
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
    parser.add_argument('--out', required=True, help='deploy state_dict file to write')
    parser.add_argument('--eval', action='store_true',
                        help='evaluate the simulated and the deploy model on the test set')
    parser.add_argument('--input-size', type=int, default=32,
                        help='side of the sample input used to trace BN folding')
    parser.add_argument('--no-fuse-bn', action='store_true')
    parser.add_argument('--freeze-fp', action='store_true',
                        help='evaluate with the FP parts frozen (freeze_fp_chains)')
    parser.add_argument('--json', help='write sizes and metrics to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys (see tools/train.py), e.g. '
                        'model.fix_subnet=work_dirs/search/fix_subnet.yaml')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch

    import mmlean  # noqa: F401
    from mmlean.binary import BinaryConv2d, convert_to_deploy, freeze_fp_chains, save_deploy
    from mmlean.utils.config import ConfigError, load_config
    try:
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint not found: {args.checkpoint}')
        cfg = load_config(args.config, args.cfg_options)
    except ConfigError as err:
        print(f'binary_deploy.py: error: {err}', file=sys.stderr)
        return 2
    from mmlean.utils.runner import build_eval_runner
    runner = build_eval_runner(cfg, args.checkpoint, work_dir_prefix='binary_deploy_')
    model = runner.model
    target = getattr(model, 'architecture', model)
    if not any(isinstance(m, BinaryConv2d) for m in target.modules()):
        print(f'binary_deploy.py: error: {args.config}: the model has no binary conv '
              '(BinaryConv2d / RBNNConv2d) to deploy', file=sys.stderr)
        return 2
    result = {}
    fp_bytes = sum(t.numel() * t.element_size() for t in target.state_dict().values())
    if args.eval:
        result['simulated'] = {k: float(v) for k, v in runner.test().items()}
    sample = torch.randn(1, 3, args.input_size, args.input_size)
    names = convert_to_deploy(target, sample=sample, fuse_bn=not args.no_fuse_bn)
    size = save_deploy(target, args.out)
    result.update(converted_layers=len(names), deploy_bytes=size,
                  float_state_dict_bytes=fp_bytes)
    print(f'converted {len(names)} binary convs; wrote {args.out} ({size / 1e3:.1f} kB; '
          f'the float state_dict holds {fp_bytes / 1e3:.1f} kB)')
    if args.freeze_fp:
        chains = freeze_fp_chains(target, sample)
        result['frozen_fp_chains'] = chains
        print(f'FP parts frozen for evaluation: {", ".join(chains) or "none found"}')
    if args.eval:
        result['deploy'] = {k: float(v) for k, v in runner.test().items()}
        for key in result['deploy']:
            print(f'{key}: simulated {result["simulated"][key]:.4f}, '
                  f'bit-packed deploy {result["deploy"][key]:.4f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
