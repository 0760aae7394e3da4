"""Helpers for tools that evaluate or convert a trained checkpoint."""
import tempfile
from typing import Sequence


def build_eval_runner(cfg, checkpoint: str, keep_hooks: Sequence[str] = ('ProgressBarHook', ),
                      work_dir_prefix: str = 'mmlean_'):
    """An mmengine Runner for ``cfg`` that can only test, with ``checkpoint`` loaded.

    Training and validation parts are dropped (no dataset is built for them),
    custom hooks are kept only if their type is in ``keep_hooks``, and the
    work dir is a fresh temporary folder.
    """
    from mmengine.runner import Runner
    cfg.work_dir = tempfile.mkdtemp(prefix=work_dir_prefix)
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = cfg.param_scheduler = None
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) or []
                        if h.get('type') in keep_hooks]
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(checkpoint)
    return runner
