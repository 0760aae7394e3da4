from .drop_path_hook import DropPathScheduleHook, set_drop_path_prob  # noqa: F401
from .keep_checkpoint_hook import KeepCheckpointHook
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook, capture_rng_state, restore_rng_state

__all__ = ['KeepCheckpointHook', 'ProgressBarHook', 'RNGStateHook', 'capture_rng_state',
           'restore_rng_state']
