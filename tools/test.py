"""Evaluate a checkpoint with an mmdet, mmagic, mmpretrain, mmrazor or mmlean config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.json]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the evaluation logs')
    parser.add_argument('--out', help='write the metrics to this json file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys (see tools/train.py)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    import mmlean  # noqa: F401  (applies mmlean.compat)
    from mmlean.compat.checkpoint import safe_load
    from mmlean.utils.config import ConfigError, load_config
    from mmlean.utils.dataset_check import check_dataset_paths

    if not osp.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint not found: {args.checkpoint}')
    safe_load(args.checkpoint)  # a truncated or refused file fails here, in one line
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if cfg.get('test_dataloader') is None or cfg.get('test_evaluator') is None:
        raise ConfigError(f'{args.config}: needs test_dataloader and '
                          'test_evaluator to evaluate')
    check_dataset_paths(cfg, args.config, ('test_dataloader',))
    return cfg


def main(argv=None):
    args = parse_args(argv)
    from mmlean.compat.checkpoint import CheckpointError, CheckpointSecurityError
    from mmlean.compat.distributed import close_process_group
    from mmlean.utils.config import ConfigError
    from mmlean.utils.dataset_check import dataset_errors_in_one_line
    try:
        cfg = build_cfg(args)
        with dataset_errors_in_one_line(cfg, args.config):
            metrics, rank = run_test(cfg)
        close_process_group()
    except (ConfigError, CheckpointError, CheckpointSecurityError, FileNotFoundError) as err:
        if os.environ.get('MMLEAN_TRACEBACK'):
            raise
        print(f'{osp.basename(sys.argv[0])}: error: {err}', file=sys.stderr)
        return 2
    if args.out and rank == 0:
        with open(args.out, 'w') as f:
            json.dump({k: float(v) if hasattr(v, '__float__') else v
                       for k, v in metrics.items()}, f, indent=2)
    return 0


def run_test(cfg):
    """Build the runner of ``cfg`` and run its test loop; returns (metrics, rank)."""
    from mmengine.hooks import Hook
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg
              else RUNNERS.build(cfg))
    captured = {}

    class _KeepMetrics(Hook):  # mmagic's MultiTestLoop.run() returns nothing
        def after_test_epoch(self, runner, metrics=None):
            captured.update(metrics or {})

    runner.register_hook(_KeepMetrics(), priority='VERY_LOW')
    return runner.test() or captured, runner.rank


if __name__ == '__main__':
    sys.exit(main())
