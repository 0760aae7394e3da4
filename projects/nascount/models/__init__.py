"""NAS-Count models: the counter frame, CSRNet's back end, the AMSNet supernet and its
ops, SPPLoss, and the export of the searched network."""
from .amsnet import AMSCell, AMSNetDecoder, AMSNetEncoder, searched_cells
from .counter import CrowdCounter, DensityHead
from .csrnet import CSRNetBackEnd
from .export import ExportSubnetHook, derive_subnet, dump_subnet, plot_searched
from .ops import ReLUConvBN, Resample, SPPPool, UpsampleDeconv, UpsampleInterpConv, spp_pool
from .spp_loss import SPPLoss

__all__ = [
    'AMSCell', 'AMSNetDecoder', 'AMSNetEncoder', 'searched_cells', 'CrowdCounter',
    'DensityHead', 'CSRNetBackEnd', 'ExportSubnetHook', 'derive_subnet', 'dump_subnet',
    'plot_searched', 'ReLUConvBN', 'Resample', 'SPPPool', 'UpsampleDeconv',
    'UpsampleInterpConv', 'spp_pool', 'SPPLoss'
]
