"""Save the global random states in checkpoints so that ``--resume`` is bit-identical.

mmengine 0.10.7 saves model, optimizer, schedulers and message hub, but not
the global random number generators (Python ``random``, NumPy, torch CPU and
CUDA). A run resumed from ``epoch_2.pth`` therefore draws its random crops,
flips and dropout masks differently from the run that was never stopped, and
ends with different weights. :class:`RNGStateHook` closes that gap:

* at each point where :class:`~mmengine.hooks.CheckpointHook` is about to save,
  every rank's states are gathered (all ranks take part, so two gloo processes
  work like one), and rank 0 writes them into the checkpoint under
  ``rng_state``;
* on ``--resume`` each rank gets its own states back at the start of the first
  training epoch (epoch-based loops) or right after the loop has skipped the
  batches it already trained on (iteration-based loops, whose skipping runs the
  data pipeline and would otherwise draw from the restored streams);
* validation is made RNG-neutral: the states are put back after every
  validation, so validating (or not) never changes what training draws, and a
  run resumed from a checkpoint saved before validation continues exactly.

Limits: the random streams of persistent dataloader workers live in the worker
processes and cannot be saved (a warning says so on resume); with
``num_workers=0`` or non-persistent workers (mmengine re-seeds those each
epoch) the resumed run is bit-identical. Epoch-based loops resume at epoch
boundaries, as mmengine does.
"""
import random
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop

CHECKPOINT_KEY = 'rng_state'


def capture_rng_state() -> Dict:
    """This process's global random states, as plain lists and tensors.

    Plain types keep the checkpoint loadable with ``torch.load(weights_only=True)``.
    """
    version, words, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(python=[version, list(words), gauss],
                 numpy=[kind, torch.from_numpy(keys.astype(np.int64)), int(pos),
                        int(has_gauss), float(cached)],
                 torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Dict) -> None:
    """Inverse of :func:`capture_rng_state`."""
    version, words, gauss = state['python']
    random.setstate((version, tuple(words), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        cuda = state['cuda']
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


class _RestoreAfterSkip:
    """Wraps a loop's infinite dataloader iterator: restores the random states
    after the first ``skip`` batches (those the resumed run already trained on)."""

    def __init__(self, iterator, skip: int, state: Dict):
        self._iterator, self._skip, self._state = iterator, skip, state

    def __iter__(self):
        return self

    def __next__(self):
        if self._state is not None and self._skip == 0:
            restore_rng_state(self._state)
            self._state = None
        self._skip -= 1
        return next(self._iterator)

    def __getattr__(self, name):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` bit-identical: random states travel in checkpoints.

    ``tools/train.py`` adds this hook to every config that does not list it
    (also to configs a user brings); add it to ``custom_hooks`` yourself when
    you build a Runner in your own code.

    Args:
        neutral_validation (bool): put the random states back after each
            validation. Defaults to True.
    """

    # Just before CheckpointHook (VERY_LOW = 90): the states are gathered
    # after every other epoch/iteration-end hook has run.
    priority = 89

    def __init__(self, neutral_validation: bool = True):
        self.neutral_validation = neutral_validation
        self._pending: Optional[List[Dict]] = None  # gathered at a save point
        self._val_states: Optional[List[Dict]] = None  # gathered when validation began
        self._val_local: Optional[Dict] = None
        self._loaded: Optional[Dict] = None
        self._restore_due = False

    # --- saving -------------------------------------------------------------
    def _gather(self) -> List[Dict]:
        states = capture_rng_state()
        return all_gather_object(states) if get_world_size() > 1 else [states]

    def _checkpoint_due(self, runner, by_epoch: bool) -> bool:
        for hook in runner.hooks:
            if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
                continue
            if by_epoch:
                due = hook.every_n_epochs(runner, hook.interval, hook.save_begin) or \
                    (hook.save_last and hook.is_last_train_epoch(runner))
            else:
                due = hook.every_n_train_iters(runner, hook.interval, hook.save_begin) or \
                    (hook.save_last and hook.is_last_train_iter(runner))
            if due:
                return True
        return False

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self._checkpoint_due(runner, by_epoch=False):
            self._pending = self._gather()

    def after_train_epoch(self, runner):
        if self._checkpoint_due(runner, by_epoch=True):
            self._pending = self._gather()

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        # a "best" checkpoint is saved during validation: store the states
        # validation started from (they are put back when it ends)
        states = self._val_states if self._val_states is not None else self._pending
        if states is None and get_world_size() == 1:
            states = [capture_rng_state()]
        if states is None:
            print_log('RNGStateHook: this checkpoint was saved outside CheckpointHook\'s '
                      'schedule; the random states of the other ranks are not in it',
                      logger='current', level='WARNING')
            return
        checkpoint[CHECKPOINT_KEY] = dict(world_size=len(states), ranks=states)
        self._pending = None

    # --- neutral validation -------------------------------------------------
    def before_val(self, runner) -> None:
        if not self.neutral_validation:
            return
        self._val_states = self._gather()
        self._val_local = self._val_states[get_rank()]

    def after_val(self, runner) -> None:
        if self._val_local is not None:
            restore_rng_state(self._val_local)
        self._val_states = self._val_local = None

    # --- resuming -----------------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        self._loaded = checkpoint.get(CHECKPOINT_KEY)
        self._restore_due = bool(getattr(runner, '_resume', False))

    def before_train_epoch(self, runner) -> None:
        if not self._restore_due:
            return
        self._restore_due = False
        if self._loaded is None:
            print_log('RNGStateHook: the resumed checkpoint holds no random states (saved '
                      'without this hook); the run continues but will not be bit-identical '
                      'to an uninterrupted one', logger='current', level='WARNING')
            return
        saved_world, world = self._loaded['world_size'], get_world_size()
        if saved_world != world:
            print_log(f'RNGStateHook: the checkpoint holds random states of {saved_world} '
                      f'ranks, this run has {world}; random states are not restored',
                      logger='current', level='WARNING')
            return
        state = self._loaded['ranks'][get_rank()]
        loader = getattr(runner.train_dataloader, 'persistent_workers', False)
        if loader and runner.train_dataloader.num_workers > 0:
            print_log('RNGStateHook: the train dataloader has persistent workers; their '
                      'random streams cannot be restored', logger='current',
                      level='WARNING')
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and loop._iter > 0:
            loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator,
                                                         loop._iter, state)
        else:
            restore_rng_state(state)
        self._loaded = None
