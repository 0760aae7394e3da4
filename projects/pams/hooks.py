"""Data-driven initialisation of PAMS's alpha during the first iterations."""
import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from .quantize_arch import act_quantizers, set_calibrating


@HOOKS.register_module()
class PAMSCalibrationHook(Hook):
    """Initialise every PAMS activation quantizer's alpha from data (PAMS Sec. 3.2).

    For the first ``calib_iters`` training iterations (official: epoch 1 =
    1000 iterations) quantizers pass activations through unclipped and
    average the batch mean of the per-sample max |a|; the weights keep
    training. Then clipping switches on and alpha is learned. Under DDP each
    rank sees different batches, so the ranks' alphas are averaged once at
    the end of calibration (otherwise replicas would diverge: DDP does not
    synchronise parameters changed outside the optimizer).

    Resuming after calibration keeps the saved alphas (the ``initialized``
    buffers travel in the checkpoint).
    """

    priority = 'NORMAL'

    def __init__(self, calib_iters: int = 1000):
        if calib_iters < 1:
            raise ValueError(f'PAMSCalibrationHook.calib_iters must be >= 1, got {calib_iters}')
        self.calib_iters = calib_iters

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        # resumed runs continue the running average where it stopped
        set_calibrating(self._model(runner).generator, runner.iter < self.calib_iters)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 != self.calib_iters:
            return
        model = self._model(runner)
        quantizers = act_quantizers(model.generator)
        if get_world_size() > 1:
            with torch.no_grad():
                for q in quantizers:
                    alpha = q.alpha.detach().clone()
                    all_reduce(alpha, op='mean')
                    q.alpha.copy_(alpha)
        set_calibrating(model.generator, False)
        alphas = [float(q.alpha.detach()) for q in quantizers]
        print_log(f'PAMS: alpha initialised from {self.calib_iters} iterations for '
                  f'{len(alphas)} quantizers (min {min(alphas):.3g}, max {max(alphas):.3g})',
                  logger='current')
