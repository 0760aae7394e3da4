"""What an algorithm provides to :class:`~mmlean.nas.SampleReduceSearchLoop`."""
from typing import Callable, Dict

from mmengine.optim import OptimWrapper, OptimWrapperDict


class SampleReduceAlgorithmMixin:
    """The two decisions the search loop leaves to the algorithm.

    * :meth:`search_train_step`: one training iteration of the current single
      path (here: the supernet weights only, on the plain cross-entropy loss);
    * :meth:`sample_reward`: the reward of the path from the loop's evaluation
      (here: the path's validation accuracy as a fraction).

    CP-NAS overrides both (child and parent); ABanditNAS the first (adversarial
    batches).
    """

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
