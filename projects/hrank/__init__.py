"""HRank: filter pruning using high-rank feature maps (CVPR 2020) on MMRazor.

Importing this package registers :class:`HRank` (mmrazor MODELS),
:class:`HRankHook` (mmengine HOOKS) and mmlean's shared backbones and datasets.
"""
import mmlean.datasets  # noqa: F401
import mmlean.engine  # noqa: F401
import mmlean.models  # noqa: F401
from .algorithm import HRank, load_pruned
from .compress_rate import parse_compress_rate, rates_for_layers
from .hooks import HRankHook
from .ranks import RankCollector, collect_ranks, feature_map_ranks, load_ranks, save_ranks
from .units import PruneUnit, prune_units

__all__ = [
    'HRank', 'HRankHook', 'load_pruned', 'parse_compress_rate', 'rates_for_layers', 'RankCollector',
    'collect_ranks', 'feature_map_ranks', 'load_ranks', 'save_ranks', 'PruneUnit',
    'prune_units'
]
