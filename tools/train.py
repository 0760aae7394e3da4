"""Train a model from an mmdet, mmagic, mmpretrain, mmrazor or mmlean config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Distributed: tools/dist_train.sh CONFIG GPUS (torchrun), tools/slurm_train.sh.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and checkpoints')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or, without a value, from the '
        'latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. train_cfg.max_epochs=3 '
        'optim_wrapper.optimizer.lr=0.05; a key with no parent in the config, '
        'or one that looks like a typo of an existing key, is an error')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    import mmlean  # noqa: F401  (applies mmlean.compat)
    import mmlean.engine  # noqa: F401  (registers RNGStateHook)
    from mmlean.compat.checkpoint import latest_readable_checkpoint, safe_load
    from mmlean.utils.config import ConfigError, load_config
    from mmlean.utils.dataset_check import check_dataset_paths

    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise ConfigError('--amp needs a GPU (mmengine AmpOptimWrapper); '
                              'CUDA is not available here')
        optim_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_type not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ConfigError(f'--amp: optim_wrapper.type is {optim_type!r}; '
                              'only OptimWrapper can be switched to AMP')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ConfigError(f'{args.config}: --auto-scale-lr needs '
                              'auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.resume == 'auto':
        # the newest checkpoint that loads; a corrupt newer one is skipped (and said)
        cfg.resume = True
        cfg.load_from = latest_readable_checkpoint(
            cfg.work_dir, log=lambda msg: print(f'[train] {msg}', file=sys.stderr))
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise ConfigError(f'--resume: checkpoint not found: {args.resume}')
        safe_load(args.resume)  # a bad file fails here, in one line
        cfg.resume = True
        cfg.load_from = args.resume
    add_rng_state_hook(cfg)
    check_dataset_paths(cfg, args.config,
                        ('train_dataloader', 'train_cfg') if args.no_validate else
                        ('train_dataloader', 'train_cfg', 'val_dataloader'))
    return cfg


def add_rng_state_hook(cfg) -> None:
    """Make --resume bit-identical for every config (see mmlean RNGStateHook),
    unless the config lists the hook itself."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and str(h.get('type', '')).split('.')[-1] == 'RNGStateHook'
               for h in hooks):
        hooks.append(dict(type='RNGStateHook'))
    cfg.custom_hooks = hooks


def main(argv=None):
    args = parse_args(argv)
    from mmlean.compat.checkpoint import CheckpointError, CheckpointSecurityError
    from mmlean.compat.distributed import close_process_group
    from mmlean.utils.config import ConfigError

    # a user's mistake (a file that is not there, a bad config or checkpoint) is one line;
    # MMLEAN_TRACEBACK=1 shows the traceback
    errors = (ConfigError, CheckpointError, CheckpointSecurityError, FileNotFoundError)
    try:
        cfg = build_cfg(args)
        from mmengine.registry import RUNNERS
        from mmengine.runner import Runner

        from mmlean.utils.dataset_check import dataset_errors_in_one_line
        with dataset_errors_in_one_line(cfg, args.config):
            runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg
                      else RUNNERS.build(cfg))
            runner.train()
        close_process_group()
    except errors as err:
        if os.environ.get('MMLEAN_TRACEBACK'):
            raise
        print(f'{osp.basename(sys.argv[0])}: error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
