"""Derive, export and draw the searched AMSNet (argmax of the architecture parameters)."""
import os.path as osp
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from .amsnet import searched_cells

CELL_TYPES = ('normal', 'reduce', 'decoder')


def derive_subnet(algorithm) -> Dict[str, Dict]:
    """The DARTS derivation of a searched mmrazor ``Darts`` algorithm as a fix_subnet dict.

    Every search group takes its argmax choice (``DiffMutableOP``: the op
    with the largest alpha; ``DiffChoiceRoute``: the ``num_chosen`` inputs
    with the largest weights, Liu et al., ICLR 2019, Sec. 2.4), applied to
    the supernet and dumped by mmrazor's ``export_fix_subnet``:
    ``{alias: {'chosen': ..., 'meta': {'all_choices': ...}}}``.
    """
    from mmrazor.structures import export_fix_subnet
    mutator = algorithm.mutator
    mutator.set_choices(mutator.sample_choices())
    fix_subnet, _ = export_fix_subnet(algorithm.architecture)
    return {k: dict(chosen=v.chosen, meta=dict(v.meta or {})) for k, v in fix_subnet.items()}


def dump_subnet(fix_subnet: Dict, path: str, header: str = '') -> str:
    """Write a fix_subnet dict as YAML (what ``mmrazor.sub_model`` reads)."""
    import yaml
    text = yaml.safe_dump({k: dict(chosen=list(v['chosen']) if isinstance(
        v['chosen'], (list, tuple)) else [v['chosen']]) for k, v in fix_subnet.items()},
        default_flow_style=False, sort_keys=True)
    with open(path, 'w') as f:
        f.write(''.join(f'# {line}\n' for line in header.splitlines()) + text)
    return path


def plot_searched(fix_subnet: Dict, out_file: Optional[str] = None, dpi: int = 120):
    """Draw the searched encoder normal/reduction cells and decoder cell (mmlean.nas's
    DARTS cell drawing), with the macro paths, upsampling op and SPP pooling as text."""
    from matplotlib.figure import Figure

    from mmlean.nas import plot_cell
    cells = [(p, searched_cells(fix_subnet, p)) for p in CELL_TYPES]
    cells = [(p, e) for p, e in cells if e]
    fig = Figure(figsize=(10, 3.6 * max(len(cells), 1) + 1))
    axes = fig.subplots(max(len(cells), 1), 1, squeeze=False)[:, 0]
    for ax, (prefix, edges) in zip(axes, cells):
        plot_cell(edges, ax=ax, title=f'{prefix} cell')

    def chosen(k):
        c = fix_subnet[k]['chosen']
        return ', '.join(c) if isinstance(c, (list, tuple)) else str(c)

    extra = [f'{k}: {chosen(k)}' for k in sorted(fix_subnet)
             if k.startswith(('macro_', 'decoder_up', 'spp_'))]
    fig.suptitle('AMSNet searched: ' + ' | '.join(extra), fontsize=8)
    fig.tight_layout()
    if out_file is not None:
        fig.savefig(out_file, dpi=dpi)
    return fig


@HOOKS.register_module()
class ExportSubnetHook(Hook):
    """After a DARTS search, write the derived ``fix_subnet.yaml`` (and a drawing of the
    searched cells, ``searched_cells.png``) into the work dir, for ``mmrazor.sub_model``
    retraining configs. ``interval`` > 0 also exports every ``interval`` epochs."""

    priority = 'LOW'

    def __init__(self, filename: str = 'fix_subnet.yaml', plot: bool = True,
                 interval: int = 0):
        self.filename, self.plot, self.interval = filename, plot, interval

    def _export(self, runner) -> None:
        from mmengine.model import is_model_wrapper
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'mutator'):
            runner.logger.warning('ExportSubnetHook: the model has no mutator; nothing exported')
            return
        subnet = derive_subnet(model)
        if runner.world_size > 1:
            from mmengine.dist import all_gather_object
            if any(other != subnet for other in all_gather_object(subnet)):
                raise RuntimeError('ExportSubnetHook: the ranks derived different sub-networks; '
                                   'their architecture parameters diverged (is the model '
                                   'wrapped by FirstOrderDartsDDP? see model_wrapper_cfg)')
            runner.logger.info(f'the derived sub-network is identical on all '
                               f'{runner.world_size} ranks')
        if runner.rank != 0:
            return
        path = dump_subnet(subnet, osp.join(runner.work_dir, self.filename),
                           header=f'AMSNet derived after epoch {runner.epoch} '
                                  f'(argmax of the architecture parameters)')
        runner.logger.info(f'searched subnet written to {path}')
        if self.plot:
            plot_searched(subnet, osp.join(runner.work_dir, 'searched_cells.png'))

    def after_train_epoch(self, runner) -> None:
        if self.interval and (runner.epoch + 1) % self.interval == 0:
            self._export(runner)

    def after_train(self, runner) -> None:
        self._export(runner)
