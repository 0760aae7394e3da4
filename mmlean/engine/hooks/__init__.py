from .progress_bar_hook import ProgressBarHook

__all__ = ['ProgressBarHook']
