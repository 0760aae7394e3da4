from .drop_path_hook import DropPathScheduleHook, set_drop_path_prob  # noqa: F401
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook, capture_rng_state, restore_rng_state

__all__ = ['ProgressBarHook', 'RNGStateHook', 'capture_rng_state', 'restore_rng_state']
