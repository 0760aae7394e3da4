"""What an algorithm provides to :class:`~mmlean.nas.SampleReduceSearchLoop`."""
from typing import Callable, Dict

from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmrazor.models.utils import add_prefix


def weights_step(algorithm, model, data, wrapper) -> Dict:
    """One weight update of ``algorithm`` on ``data``, forward through ``model``."""
    with wrapper.optim_context(model):
        batch = algorithm.data_preprocessor(data, True)
        losses = model(batch['inputs'], batch['data_samples'], mode='loss')
    parsed, log_vars = algorithm.parse_losses(losses)
    wrapper.update_params(parsed)
    return log_vars


def first_order_darts_step(algorithm, model, data, optim_wrapper) -> Dict:
    """DARTS's first-order alternating update (Liu et al., ICLR 2019, Sec. 2.3, xi = 0).

    ``data = (train batch, architecture batch)``; ``optim_wrapper`` has
    ``architecture`` (weights) and ``mutator`` (alpha/beta). Each backward also
    reaches the other group's parameters: the weights' gradients from the
    architecture batch are cleared before the weight step, and the alphas'
    gradients from the training batch before the next architecture step, so
    neither split leaks into the other's update and no gradient outlives its
    step (mmrazor 1.0's ``Darts.train_step`` keeps both; :mod:`mmlean.compat`
    routes it here).
    """
    if not isinstance(optim_wrapper, OptimWrapperDict) or 'mutator' not in optim_wrapper \
            or 'architecture' not in optim_wrapper:
        raise KeyError('an architecture step needs optim_wrapper entries "architecture" and '
                       '"mutator" (mmrazor.SeparateOptimWrapperConstructor)')
    train_data, arch_data = data
    arch_wrapper = optim_wrapper['mutator']
    arch_wrapper.zero_grad()
    log_vars = add_prefix(weights_step(algorithm, model, arch_data, arch_wrapper), 'mutator')
    weight_wrapper = optim_wrapper['architecture']
    weight_wrapper.zero_grad()
    log_vars.update(add_prefix(weights_step(algorithm, model, train_data, weight_wrapper),
                               'supernet'))
    # the weights' loss also under the name the weights-only steps log it by: otherwise
    # the logger keeps showing the last warm-up value of 'loss' through every later epoch
    log_vars['loss'] = log_vars['supernet.loss']
    return log_vars


class SampleReduceAlgorithmMixin:
    """The training steps and the reward the search loop asks the algorithm for.

    * :meth:`supernet_train_step`: one supernet iteration; with a (train batch,
      architecture batch) pair, DARTS's first-order alternating update;
    * :meth:`search_train_step`: one training iteration of the current single
      path (here: the supernet weights only, on the plain cross-entropy loss);
    * :meth:`sample_reward`: the reward of the path from the loop's evaluation
      (here: the path's validation accuracy as a fraction).

    Each forward goes through the runner's model (a DDP wrapper in distributed
    runs), so gradients are synchronized without mmrazor's ``DartsDDP`` (which
    renames every BatchNorm in the state dict). CP-NAS overrides the last two
    (child and parent); ABanditNAS the middle one (adversarial batches).
    """

    def supernet_train_step(self, model, data, optim_wrapper) -> Dict:
        """One supernet iteration: :func:`first_order_darts_step` for a (train batch,
        architecture batch) pair, else a weights-only step (:meth:`search_train_step`)."""
        if not isinstance(data, (tuple, list)):
            return self.search_train_step(model, data, optim_wrapper)
        return first_order_darts_step(self, model, data, optim_wrapper)

    @staticmethod
    def weight_optim_wrapper(optim_wrapper) -> OptimWrapper:
        """The optim wrapper of the supernet weights (``architecture`` of a dict)."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            if 'architecture' not in optim_wrapper:
                raise KeyError('optim_wrapper needs an "architecture" entry for the supernet '
                               f'weights; it has {list(optim_wrapper.keys())}')
            return optim_wrapper['architecture']
        return optim_wrapper

    def search_train_step(self, model, data, optim_wrapper) -> Dict:
        """Train the current single path for one iteration (weights only).

        ``model`` is the runner's model (a DDP wrapper in distributed runs, so
        the forward goes through it and gradients are synchronized).
        """
        return weights_step(self, model, data, self.weight_optim_wrapper(optim_wrapper))

    def sample_reward(self, evaluate: Callable[..., float]) -> float:
        """Reward of the current single path: ``evaluate()`` is its validation accuracy."""
        return evaluate()
