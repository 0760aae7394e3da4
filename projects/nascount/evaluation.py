"""Counting metrics: MAE and the root-mean-square error that crowd counting calls MSE."""
import math
from typing import Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.registry import METRICS


@METRICS.register_module()
class CountingMetric(BaseMetric):
    """``MAE = mean |c_pred - c_gt|`` and ``MSE = sqrt(mean (c_pred - c_gt)^2)``.

    The crowd-counting convention (MCNN, Zhang et al., CVPR 2016, Sec. 5,
    Eq. 7; NAS-Count, arXiv 2003.00217, Sec. 4): "MSE" is the *root* of the
    mean squared count error; it is reported under ``MSE`` (and also
    ``RMSE``, the same number). Counts come from each predicted sample's
    ``pred_count`` and ``gt_count`` (whole images, or the sliding-window
    sum, :class:`CrowdCounter`). Registered in mmengine's root ``METRICS``.
    """

    default_prefix: Optional[str] = 'count'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            self.results.append((float(s['pred_count']), float(s['gt_count'])))

    def compute_metrics(self, results: list) -> dict:
        if not results:
            raise ValueError('CountingMetric: no predictions to evaluate')
        errors = [p - g for p, g in results]
        mae = sum(abs(e) for e in errors) / len(errors)
        rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
        return dict(MAE=mae, MSE=rmse, RMSE=rmse)
