"""The search loop of the sample-evaluate-reduce NAS methods, as an mmengine train loop.

The whole search is a fixed schedule of *steps*, each one mmengine epoch (so
``CheckpointHook``, ``RNGStateHook``, the logger and ``--resume`` work on it
unchanged, and the progress bar knows the total):

1. ``warmup_epochs`` supernet epochs; from epoch ``arch_start`` on, DARTS's
   first-order alternating updates (architecture parameters on the mutator
   split, weights on the train split: mmrazor's ``Darts.train_step``), before
   it weights only (PC-DARTS warm-up, Xu et al., ICLR 2020, Sec. 4.1);
2. reduction rounds until one op per edge is left: every step trains one
   sampled single path (``sample_train_iters`` iterations, default one epoch,
   weights only), recalibrates its BN statistics on training data, evaluates
   it on the validation split and records the reward; the round's last step
   abandons one op per edge; then ``epochs_between`` supernet epochs on the
   reduced space (not after the last reduction);
3. after the last step: the derived sub-network as mmrazor ``fix_subnet``
   YAML, its cell drawing and the reduction-history plot in the work dir.

The algorithm decides what a step trains and what the reward is
(:meth:`search_train_step`, :meth:`sample_reward` of
:class:`~mmlean.nas.SampleReduceAlgorithmMixin`), so CP-NAS (child and
parent) and ABanditNAS (adversarial batches) reuse this loop as it is.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmrazor.engine.runner.darts_loop import EpochMultiLoader
from mmrazor.registry import LOOPS
from torch.utils.data import DataLoader

WARMUP, SAMPLE, BETWEEN = 'warmup', 'sample', 'between'


def search_schedule(warmup_epochs: int, epochs_between: int, num_choices: int,
                    round_length, reduction: bool = True) -> List[tuple]:
    """The step kinds of a whole search: ``[(kind, reduction index, index in phase), ...]``.

    ``reduction=False`` gives the PC-DARTS baseline with the same number of
    epochs: every step is a supernet epoch.
    """
    if not reduction:
        total = len(search_schedule(warmup_epochs, epochs_between, num_choices, round_length))
        return [(WARMUP, -1, i) for i in range(total)]
    steps = [(WARMUP, -1, i) for i in range(warmup_epochs)]
    for r, k in enumerate(range(num_choices, 1, -1)):
        steps += [(SAMPLE, r, j) for j in range(round_length(k))]
        if k > 2:
            steps += [(BETWEEN, r, i) for i in range(epochs_between)]
    return steps


def _set_epoch(loader: DataLoader, epoch: int) -> None:
    for obj in (getattr(loader, 'sampler', None), getattr(loader, 'batch_sampler', None)):
        if hasattr(obj, 'set_epoch'):
            obj.set_epoch(epoch)


@LOOPS.register_module()
class SampleReduceSearchLoop(EpochBasedTrainLoop):
    """Warm-up, then sample-evaluate-reduce rounds, then export (see the module docstring).

    Args:
        runner: the runner.
        dataloader (dict | DataLoader): train split (supernet and sampled paths).
        mutator_dataloader (dict | DataLoader): architecture split (alphas during
            warm-up; also used to evaluate sampled paths unless ``eval_dataloader``).
        warmup_epochs (int): supernet epochs before the first reduction round.
        arch_start (int): first warm-up epoch with architecture updates
            (PC-DARTS: 15 of 50). Defaults to 0.
        epochs_between (int): supernet epochs after each reduction. Defaults to 1.
        sample_train_epochs (int): epochs of ``dataloader`` each sampled path
            trains. Defaults to 1 (CP-NAS trains each sampled pair one epoch).
        sample_train_iters (int, optional): iterations instead of epochs (for
            small proxies); overrides ``sample_train_epochs``.
        eval_dataloader (dict | DataLoader, optional): where sampled paths are
            evaluated; defaults to ``mutator_dataloader``.
        evaluator (dict | list): the metric(s) of a sampled path. Defaults to top-1.
        reward_key (str): metric used as reward. Defaults to 'accuracy/top1'.
        reward_scale (float): reward = metric * scale (0.01: a percentage to a
            fraction, as the scorers expect). Defaults to 0.01.
        calibrate_sample_num (int): training images used to recompute BN
            statistics of a sampled path (0: no recalibration). Defaults to 512.
        eval_max_iters (int, optional): cap on evaluation batches per sample.
        reduction (bool): False turns the search into PC-DARTS with the same
            number of epochs (all supernet epochs, alpha argmax at the end), the
            baseline of ``tools/benchmark/nas_search.py``. Defaults to True.
    """

    def __init__(self, runner, dataloader: Union[Dict, DataLoader],
                 mutator_dataloader: Union[Dict, DataLoader], warmup_epochs: int,
                 arch_start: int = 0, epochs_between: int = 1,
                 sample_train_epochs: int = 1, sample_train_iters: Optional[int] = None,
                 eval_dataloader: Union[Dict, DataLoader, None] = None,
                 evaluator: Union[Dict, Sequence[Dict]] = dict(type='Accuracy', topk=(1, )),
                 reward_key: str = 'accuracy/top1', reward_scale: float = 0.01,
                 calibrate_sample_num: int = 512, eval_max_iters: Optional[int] = None,
                 reduction: bool = True, val_begin: int = 1, val_interval: int = 1) -> None:
        algorithm = runner.model.module if is_model_wrapper(runner.model) else runner.model
        mutator = getattr(algorithm, 'mutator', None)
        if mutator is None or not hasattr(mutator, 'next_sample'):
            raise TypeError('SampleReduceSearchLoop needs an algorithm with a '
                            'SampleReduceMutator (e.g. mmrazor BNAS), got '
                            f'{type(algorithm).__name__}')
        for name, value in (('warmup_epochs', warmup_epochs), ('epochs_between', epochs_between),
                            ('arch_start', arch_start)):
            if int(value) < 0:
                raise ValueError(f'SampleReduceSearchLoop: {name} must be >= 0, got {value}')
        self.schedule = search_schedule(int(warmup_epochs), int(epochs_between),
                                        len(mutator.choice_names), mutator.round_length,
                                        reduction)
        # no regular validation: sampled paths are evaluated by the loop itself
        super().__init__(runner, dataloader, len(self.schedule), val_begin=len(self.schedule) + 1,
                         val_interval=val_interval)
        self.algorithm, self.mutator = algorithm, mutator
        build = runner.build_dataloader
        self.mutator_dataloader = (build(mutator_dataloader, seed=runner.seed)
                                   if isinstance(mutator_dataloader, dict) else mutator_dataloader)
        if eval_dataloader is None:
            self.eval_dataloader = self.mutator_dataloader
        else:
            self.eval_dataloader = (build(eval_dataloader, seed=runner.seed)
                                    if isinstance(eval_dataloader, dict) else eval_dataloader)
        self.evaluator = Evaluator(evaluator) if not isinstance(evaluator, Evaluator) \
            else evaluator
        self.arch_start = int(arch_start)
        self.sample_train_iters = (int(sample_train_iters) if sample_train_iters is not None
                                   else int(sample_train_epochs) * len(self.dataloader))
        if self.sample_train_iters < 1:
            raise ValueError('SampleReduceSearchLoop: a sampled path must train at least one '
                             f'iteration, got {self.sample_train_iters}')
        self.reward_key, self.reward_scale = reward_key, float(reward_scale)
        self.calibrate_sample_num = int(calibrate_sample_num)
        self.eval_max_iters = eval_max_iters
        self.fp16 = False
        self.last_reward: Optional[float] = None

    # --- the schedule -----------------------------------------------------------
    def step_kind(self, step: Optional[int] = None) -> tuple:
        return self.schedule[self._epoch if step is None else step]

    @property
    def iters_this_epoch(self) -> int:
        """Training iterations of the current step (what the progress bar counts)."""
        kind = self.step_kind()[0] if self._epoch < len(self.schedule) else WARMUP
        if kind == SAMPLE:
            return self.sample_train_iters
        if self._arch_updates():
            return min(len(self.dataloader), len(self.mutator_dataloader))
        return len(self.dataloader)

    def _arch_updates(self) -> bool:
        kind, _, index = self.step_kind()
        return kind == BETWEEN or (kind == WARMUP and index >= self.arch_start)

    def run_epoch(self) -> None:
        kind, reduction, index = self.step_kind()
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        if kind == SAMPLE:
            self._run_sample_step()
        else:
            self._run_supernet_epoch()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
        if self._epoch == self._max_epochs:
            self._export()

    # --- supernet epochs -------------------------------------------------------
    def _run_supernet_epoch(self) -> None:
        if self._arch_updates():
            _set_epoch(self.mutator_dataloader, self._epoch)  # EpochMultiLoader does not
            loader = EpochMultiLoader([self.dataloader, self.mutator_dataloader])
            optim_wrapper = self.runner.optim_wrapper
        else:
            loader = self.dataloader
            optim_wrapper = self.algorithm.weight_optim_wrapper(self.runner.optim_wrapper)
        for idx, data_batch in enumerate(loader):
            self._train_iter(idx, data_batch, optim_wrapper, self.algorithm.supernet_train_step)

    def _train_iter(self, idx, data_batch, optim_wrapper, train_step) -> None:
        self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = train_step(self.runner.model, data_batch, optim_wrapper)
        self.runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
        self._iter += 1

    # --- sampled single paths ----------------------------------------------------
    def _run_sample_step(self) -> None:
        choices = self.mutator.next_sample()
        self.mutator.set_single_path(choices)
        try:
            iters, done = self.sample_train_iters, 0
            while done < iters:
                for data_batch in self.dataloader:
                    self._train_iter(done, data_batch, self.runner.optim_wrapper,
                                     self.algorithm.search_train_step)
                    done += 1
                    if done >= iters:
                        break
            reward = self.algorithm.sample_reward(self._evaluate_path)
        finally:
            self.mutator.set_single_path(None)
        self.last_reward = reward
        self.runner.message_hub.update_scalar('search/reward', reward)
        _, reduction, index = self.step_kind()
        parts = ''.join(f', {k} {v:.4f}'
                        for k, v in getattr(self.algorithm, 'last_accuracies', {}).items())
        self.runner.logger.info(f'search: reduction round {reduction + 1}, path {index + 1}/'
                                f'{self.mutator.round_length()}: reward {reward:.4f}{parts}')
        self.mutator.record(reward, step=self._epoch)

    @torch.no_grad()
    def _evaluate_path(self, model=None) -> float:
        """Recalibrate BN of the current path, evaluate it, return the scaled reward."""
        model = model or self.runner.model
        if self.calibrate_sample_num > 0:
            self._calibrate(model)
        model.eval()
        for i, data_batch in enumerate(self.eval_dataloader):
            if self.eval_max_iters is not None and i >= self.eval_max_iters:
                break
            outputs = model.test_step(data_batch)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        size = len(self.eval_dataloader.dataset)
        if self.eval_max_iters is not None:
            size = min(size, self.eval_max_iters * self.eval_dataloader.batch_size)
        metrics = self.evaluator.evaluate(size)
        model.train()
        if self.reward_key not in metrics:
            raise KeyError(f'SampleReduceSearchLoop: reward_key {self.reward_key!r} is not among '
                           f'the metrics {sorted(metrics)}')
        return float(metrics[self.reward_key]) * self.reward_scale

    def _calibrate(self, model) -> None:
        from .bn_calibration import recalibrate_bn
        recalibrate_bn(model, self.dataloader, self.calibrate_sample_num)

    # --- results -----------------------------------------------------------------
    def _export(self) -> None:
        import mmengine
        derived = self.mutator.derive()
        everyone = all_gather_object(derived) if get_world_size() > 1 else [derived]
        if any(d != derived for d in everyone):
            raise RuntimeError('search: the ranks derived different sub-networks; their search '
                               'states diverged (plans are broadcast from rank 0: check that '
                               'every rank runs the same config)')
        if not is_main_process():
            return
        self.runner.logger.info(f'search: the derived sub-network is identical on all '
                                f'{len(everyone)} rank(s)')
        fix_subnet = self.mutator.export(self.algorithm.architecture)
        out = osp.join(self.runner.work_dir, 'fix_subnet.yaml')
        mmengine.dump(fix_subnet, out)
        history = self.mutator.reduction_history()
        mmengine.dump(dict(choices=self.mutator.choice_names, groups=self.mutator.op_aliases,
                           history=history), osp.join(self.runner.work_dir,
                                                      'reduction_history.json'))
        self.runner.logger.info(f'search done: sub-network written to {out}')
        from .reduction_plot import plot_reduction_history
        plot_reduction_history(history, self.mutator.op_aliases, self.mutator.choice_names,
                               osp.join(self.runner.work_dir, 'reduction_history.png'))
        draw = getattr(self.algorithm, 'draw_subnet', None)
        if callable(draw):  # a search space of its own (e.g. ABanditNAS's single-input cells)
            draw(fix_subnet, self.runner.work_dir)
            return
        from .genotype import GenotypeError, subnet_to_genotype
        from .plot import plot_genotype
        try:
            genotype = subnet_to_genotype(fix_subnet)
        except GenotypeError as err:  # not a DARTS cell space: no genotype drawing
            self.runner.logger.info(f'search: no cell drawing ({err})')
            return
        mmengine.dump(dict(genotype=str(genotype)), osp.join(self.runner.work_dir,
                                                             'genotype.json'))
        plot_genotype(genotype, osp.join(self.runner.work_dir, 'cells.png'))
