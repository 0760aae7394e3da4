"""CP-NAS as an MMRazor algorithm: a 1-bit child searched under a full-precision parent."""
import copy
from typing import Dict, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict
from mmrazor.models.algorithms import BaseAlgorithm
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from mmlean.nas import SampleReduceAlgorithmMixin, SampleReduceMutator
from mmlean.nas.scorers import child_parent_indicator
from mmlean.utils.algorithm import classifier_defaults


def with_conv_cfg(cfg, conv_cfg: Dict):
    """A copy of a model config with every ``conv_cfg`` replaced by ``conv_cfg``."""
    if isinstance(cfg, dict):
        return {k: (copy.deepcopy(conv_cfg) if k == 'conv_cfg' else with_conv_cfg(v, conv_cfg))
                for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(with_conv_cfg(v, conv_cfg) for v in cfg)
    return cfg


@MODELS.register_module()
class CPNAS(SampleReduceAlgorithmMixin, BaseAlgorithm):
    """`CP-NAS: Child-Parent Neural Architecture Search for 1-bit CNNs
    <https://arxiv.org/abs/2005.00057>`_ (Zhuo et al., IJCAI 2020), search stage.

    ``architecture`` is the 1-bit child supernet (W1A1 binarized DARTS ops);
    the parent is the same supernet config with every ``conv_cfg`` replaced by
    ``parent_conv_cfg`` (full precision), so both have the same aliases and
    the mutator keeps them on the same single path and the same reduced space.
    Each sampled path trains child and parent on the same batches (one
    backward through the (DDP) model, two optimizers: ``architecture`` and
    ``parent``), and its reward is the child-parent indicator
    ``z = beta_P (A_P - A_C) + A_C`` of their validation accuracies.

    Args:
        architecture (dict | BaseModel): the child supernet classifier.
        parent (dict | BaseModel, optional): the parent; default: built from
            ``architecture`` with ``parent_conv_cfg``.
        parent_conv_cfg (dict): the parent's convs. Defaults to ``Conv2d``.
        beta_p (float): ``beta_P`` of the indicator. Defaults to 0.5 (the paper
            does not give its value; accuracy rises with beta_P and falls from
            about 2 on: 0.5 weighs the child's and the parent's accuracy equally).
        mutator (dict | SampleReduceMutator): defaults to ``ChildParentScorer``.
        data_preprocessor, init_cfg: as mmrazor's ``BaseAlgorithm``.
    """

    def __init__(self, architecture: Union[BaseModel, Dict],
                 parent: Union[BaseModel, Dict, None] = None,
                 parent_conv_cfg: Dict = dict(type='Conv2d'), beta_p: float = 0.5,
                 mutator: Union[Dict, SampleReduceMutator, None] = None,
                 data_preprocessor: Optional[Dict] = None, init_cfg: Optional[Dict] = None):
        if parent is None:
            if not isinstance(architecture, dict):
                raise TypeError('CPNAS builds the parent from the architecture config; with a '
                                'built architecture, pass the parent too')
            parent = with_conv_cfg(dict(architecture), parent_conv_cfg)
        architecture, data_preprocessor = classifier_defaults(architecture, data_preprocessor)
        parent, _ = classifier_defaults(parent, None)
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.parent = MODELS.build(parent) if isinstance(parent, dict) else parent
        if mutator is None:
            mutator = dict(type='SampleReduceMutator', scorer=dict(type='ChildParentScorer'))
        if isinstance(mutator, dict):  # the mutator lives in mmrazor's registry
            mutator = MODELS.build(dict(mutator, _scope_=mutator.get('_scope_', 'mmrazor')))
        self.mutator = mutator
        if not isinstance(self.mutator, SampleReduceMutator):
            raise TypeError('CPNAS needs a SampleReduceMutator, got '
                            f'{type(self.mutator).__name__}')
        self.mutator.prepare_from_supernet(self.architecture)
        self.mutator.add_twin(self.parent)
        self.beta_p = float(beta_p)
        self.last_accuracies = {}

    def loss(self, inputs: torch.Tensor, data_samples=None) -> Dict:
        """The child's and the parent's losses on the same batch (summed by ``parse_losses``)."""
        losses = add_prefix(self.architecture(inputs, data_samples, mode='loss'), 'child')
        losses.update(add_prefix(self.parent(inputs, data_samples, mode='loss'), 'parent'))
        return losses

    def search_train_step(self, model, data, optim_wrapper) -> Dict:
        """One step of child and parent on the current path (one backward, two optimizers)."""
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                not {'architecture', 'parent'} <= set(optim_wrapper.keys()):
            raise KeyError('CPNAS needs optim_wrapper entries "architecture" (child) and '
                           '"parent" (mmrazor.SeparateOptimWrapperConstructor)')
        child, parent = optim_wrapper['architecture'], optim_wrapper['parent']
        with child.optim_context(model):
            batch = self.data_preprocessor(data, True)
            losses = model(batch['inputs'], batch['data_samples'], mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        child.backward(parsed)
        for wrapper in (child, parent):
            wrapper.step()
            wrapper.zero_grad()
        return log_vars

    def supernet_train_step(self, model, data, optim_wrapper) -> Dict:
        return self.search_train_step(model, data, optim_wrapper)

    def sample_reward(self, evaluate) -> float:
        """``z = beta_P (A_P - A_C) + A_C`` of the current path."""
        child_acc = evaluate()
        parent_acc = evaluate(self.parent)
        self.last_accuracies = dict(child=child_acc, parent=parent_acc)
        return child_parent_indicator(child_acc, parent_acc, self.beta_p)
