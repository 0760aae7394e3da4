"""Runner hook for CoGD: fills the decay horizon, logs the masks, exports."""
import os.path as osp
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CoGDHook(Hook):
    """Bookkeeping for :class:`~mmlean.engine.optimizers.CoGD` runs (Zhuo et
    al., CVPR 2020; the decay of §3 needs the run's length).

    - before training, every CoGD pair group without ``total_steps`` gets the
      run's ``max_iters`` (so the linear decay reaches 0 at the end);
    - every ``interval`` iterations, logs how many rows were corrected and, for
      a :class:`~mmlean.projects.cogd.SoftMaskPruning` model, how many masks
      are exactly 0;
    - after training, a SoftMaskPruning model is pruned physically
      (:meth:`SoftMaskPruning.export`) and saved as ``{'state_dict', 'kept'}``
      to ``work_dir/<export_name>`` (reload with :func:`load_pruned`).
    """
    priority = 'NORMAL'  # before the LoggerHook, so the scalars are logged

    def __init__(self, interval: int = 50, export_name: Optional[str] = 'pruned.pth'):
        self.interval = interval
        self.export_name = export_name

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
        for group in getattr(optimizer, 'param_groups', []):
            if group.get('cogd_pair') and not group.get('total_steps'):
                group['total_steps'] = runner.max_iters

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
        if hasattr(optimizer, 'selected'):
            runner.message_hub.update_scalar('train/cogd_corrected', optimizer.selected())
        model = self._model(runner)
        if hasattr(model, 'zero_channels'):
            zeros, total = model.zero_channels()
            runner.message_hub.update_scalar('train/zero_masks', zeros / max(total, 1))

    def after_train(self, runner) -> None:
        model = self._model(runner)
        if not self.export_name or not hasattr(model, 'export'):
            return
        from mmlean.projects.hrank.flops import conv_linear_complexity
        pruned = model.export()
        kept = {g.convs[0]: list(g.kept) for g in model.select()}
        path = osp.join(runner.work_dir, self.export_name)
        torch.save(dict(state_dict=pruned.state_dict(), kept=kept), path)
        macs, params = conv_linear_complexity(pruned, model.input_shape)
        runner.logger.info(f'CoGD: pruned model ({macs / 1e6:.2f}M MACs, {params / 1e3:.1f}k '
                           f'params) saved to {path}')


@torch.no_grad()
def load_pruned(algorithm, path: str) -> torch.nn.Module:
    """The pruned model saved by :class:`CoGDHook`, rebuilt from a freshly built
    SoftMaskPruning model of the same config (``weights_only`` loading)."""
    from mmlean.compat.checkpoint import safe_load
    data = safe_load(path)
    if not isinstance(data, dict) or set(data) != {'state_dict', 'kept'}:
        raise ValueError(f"{path}: not a CoGDHook export (keys 'state_dict' and 'kept')")
    masks = algorithm.masks()
    unknown = sorted(set(data['kept']) - set(masks))
    if unknown:
        raise ValueError(f'{path}: masked convs {unknown[:3]} do not exist in this model')
    pruned = algorithm.export(kept=data['kept'])
    pruned.load_state_dict(data['state_dict'])
    return pruned.eval()
