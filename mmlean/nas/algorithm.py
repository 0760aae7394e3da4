"""What an algorithm provides to :class:`~mmlean.nas.SampleReduceSearchLoop`."""
from typing import Callable, Dict

from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmrazor.models.utils import add_prefix


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
        """One supernet iteration.

        ``data = (train batch, architecture batch)`` with an ``OptimWrapperDict``
        (``architecture``: weights, ``mutator``: alpha/beta): first-order DARTS
        (Liu et al., ICLR 2019, Sec. 2.3 with xi = 0), as PC-DARTS trains. Each
        backward also reaches the other group's parameters: the weights'
        gradients from the architecture batch are cleared before the weight
        step, and the alphas' gradients from the training batch before the next
        architecture step, so neither split leaks into the other's update
        (mmrazor 1.0's ``Darts.train_step`` keeps both) and no gradient outlives
        its step (a resumed run starts from the same state).
        Anything else: a weights-only step (:meth:`search_train_step`).
        """
        if not isinstance(data, (tuple, list)):
            return self.search_train_step(model, data, optim_wrapper)
        if not isinstance(optim_wrapper, OptimWrapperDict) or 'mutator' not in optim_wrapper:
            raise KeyError('an architecture step needs optim_wrapper entries "architecture" and '
                           '"mutator" (mmrazor.SeparateOptimWrapperConstructor)')
        train_data, arch_data = data
        arch_wrapper = optim_wrapper['mutator']
        arch_wrapper.zero_grad()
        with arch_wrapper.optim_context(model):
            batch = self.data_preprocessor(arch_data, True)
            losses = model(batch['inputs'], batch['data_samples'], mode='loss')
        parsed, arch_log = self.parse_losses(losses)
        arch_wrapper.update_params(parsed)
        weight_wrapper = self.weight_optim_wrapper(optim_wrapper)
        weight_wrapper.zero_grad()
        log_vars = add_prefix(arch_log, 'mutator')
        log_vars.update(add_prefix(self.search_train_step(model, train_data, weight_wrapper),
                                   'supernet'))
        return log_vars

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
        wrapper = self.weight_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(model):
            data = self.data_preprocessor(data, True)
            losses = model(data['inputs'], data['data_samples'], mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        wrapper.update_params(parsed)
        return log_vars

    def sample_reward(self, evaluate: Callable[..., float]) -> float:
        """Reward of the current single path: ``evaluate()`` is its validation accuracy."""
        return evaluate()
