"""The per-epoch part of RBNN training: rotation update and (k, t) schedule."""
import torch
from mmengine.dist import broadcast, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from mmlean.binary import RBNNConv2d, rbnn_k_t


def rbnn_convs(model):
    if is_model_wrapper(model):
        model = model.module
    return [m for m in model.modules() if isinstance(m, RBNNConv2d)]


@HOOKS.register_module()
class RBNNHook(Hook):
    """Run RBNN's per-epoch steps (paper §3.2-3.4, official ``main.py``).

    * At the start of every ``rotation_interval``-th training epoch, update
      (R1, R2) of every :class:`RBNNConv2d` by ``rotation_iterations``
      alternating Procrustes steps on the current weights (warm-started).
      The official code does this inside the first batch's forward, which
      ``nn.DataParallel`` silently discards (replica buffers); here it runs on
      the real module, on rank 0 only, and R1/R2 are broadcast to every rank,
      so all ranks hold identical rotations.
    * Set the training-aware sign's (k, t) from the epoch:
      ``t = 10^(log10 Tmin + (log10 Tmax - log10 Tmin) e / E)``, ``k = max(1/t, 1)``.
      They are plain attributes, so they are set again after a resume.

    Args:
        t_min, t_max (float): schedule ends. Defaults to 1e-2, 1e1.
        rotation_interval (int): epochs between rotation updates. Defaults to 1.
    """
    priority = 'HIGH'  # before the epoch's first forward

    def __init__(self, t_min: float = 1e-2, t_max: float = 1e1,
                 rotation_interval: int = 1):
        if rotation_interval < 1:
            raise ValueError(f'rotation_interval must be >= 1, got {rotation_interval}')
        self.t_min, self.t_max = t_min, t_max
        self.rotation_interval = rotation_interval

    def set_schedule(self, model, epoch: int, max_epochs: int):
        k, t = rbnn_k_t(epoch, max_epochs, self.t_min, self.t_max)
        for conv in rbnn_convs(model):
            conv.k, conv.t = k, t
        return k, t

    @staticmethod
    @torch.no_grad()
    def update_rotations(model) -> int:
        """Rank 0 updates every layer's rotation; all ranks receive it."""
        convs = rbnn_convs(model)
        if get_rank() == 0:
            for conv in convs:
                conv.update_rotation()
        if get_world_size() > 1:
            for conv in convs:
                broadcast(conv.R1, 0)
                broadcast(conv.R2, 0)
        return len(convs)

    def before_train_epoch(self, runner) -> None:
        epoch, max_epochs = runner.epoch, runner.max_epochs
        k, t = self.set_schedule(runner.model, epoch, max_epochs)
        if epoch % self.rotation_interval == 0:
            layers = self.update_rotations(runner.model)
            print_log(f'RBNN epoch {epoch}: rotated {layers} layers, k={k:.4g}, '
                      f't={t:.4g}', logger='current')
