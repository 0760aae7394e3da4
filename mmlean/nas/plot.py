"""Draw DARTS cells with matplotlib only (no graphviz binary).

The drawing follows DARTS's ``cnn/visualize.py`` (Liu et al., arXiv
1806.09055): inputs ``c_{k-2}``, ``c_{k-1}`` on the left, intermediate nodes
``0..n-1``, output ``c_{k}`` (their concatenation) on the right, every edge
labelled with its op.
"""
from typing import Any, Optional, Sequence, Tuple

from .genotype import CELLS, EDGES_PER_NODE, validate_genotype

X_STEP = 3.0
LABEL_AT = 0.4  # label position along an edge, from its source
COLORS = dict(input='#b4eeb4', node='#add8e6', output='#eee8aa')  # DARTS's graphviz fills


def _layout(edges: Sequence[Tuple[str, int]], num_nodes: int) -> dict:
    """State -> (x, y), as graphviz's left-to-right ranking: a node's column is one more
    than its deepest input's; nodes of one column are spread vertically, in index order."""
    rank = {0: 0, 1: 0}
    for j in range(num_nodes):
        srcs = [src for _, src in edges[EDGES_PER_NODE * j:EDGES_PER_NODE * (j + 1)]]
        rank[2 + j] = 1 + max(rank[s] for s in srcs)
    rank['out'] = 1 + max(rank.values())
    pos = {}
    for r in sorted(set(rank.values())):
        column = [s for s in rank if rank[s] == r]
        for k, state in enumerate(column):
            y = 0.0 if len(column) == 1 else 1.4 * (len(column) - 1) * (0.5 - k / (len(column) - 1))
            pos[state] = (X_STEP * r, y)
    return pos


def _label(state: Any) -> str:
    if state == 'out':
        return 'c_{k}'
    return ('c_{k-2}', 'c_{k-1}')[state] if state < 2 else str(state - 2)


def plot_cell(edges: Sequence[Tuple[str, int]], ax=None, title: Optional[str] = None,
              fontsize: int = 9):
    """Draw one cell (flat ``[(op, input), ...]``, two edges per node) on ``ax``.

    Returns the axes. Columns as graphviz ranks a left-to-right DAG; edges
    that skip a column are arcs bending away from the centre line; op labels
    sit 40% along the edges.
    """
    if ax is None:
        from matplotlib.figure import Figure
        ax = Figure(figsize=(10, 4)).subplots()
    num_nodes = len(edges) // EDGES_PER_NODE
    pos = _layout(edges, num_nodes)
    boxes = {}
    for state, (x, y) in pos.items():
        kind = 'output' if state == 'out' else 'input' if state < 2 else 'node'
        text = ax.text(x, y, _label(state), ha='center', va='center', fontsize=fontsize + 1,
                       zorder=3, bbox=dict(boxstyle='round,pad=0.4', fc=COLORS[kind],
                                           ec='black'))
        boxes[state] = text.get_bbox_patch()

    def arrow(src, dst, label=None):
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        adjacent = abs(x1 - x0) <= X_STEP + 1e-6
        rad = 0.0 if adjacent else (-0.2 if (y0 + y1) >= 0 else 0.2)
        ax.annotate('', xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops=dict(arrowstyle='-|>', color='gray' if label is None else 'black',
                                    lw=1.0, connectionstyle=f'arc3,rad={rad}',
                                    patchA=boxes[src], patchB=boxes[dst]))
        if label is not None:
            # a point of matplotlib's arc3 quadratic Bezier (equal aspect: data ~ display),
            # before the midpoint so that labels of crossing edges do not meet
            cx = (x0 + x1) / 2 + rad * (y1 - y0)
            cy = (y0 + y1) / 2 - rad * (x1 - x0)
            t = LABEL_AT
            mx = (1 - t)**2 * x0 + 2 * t * (1 - t) * cx + t**2 * x1
            my = (1 - t)**2 * y0 + 2 * t * (1 - t) * cy + t**2 * y1
            ax.text(mx, my, label, ha='center', va='center', fontsize=fontsize, zorder=2,
                    bbox=dict(boxstyle='round,pad=0.15', fc='white', ec='none', alpha=0.85))

    for k, (op, src) in enumerate(edges):
        arrow(src, 2 + k // EDGES_PER_NODE, op)
    for j in range(num_nodes):
        arrow(2 + j, 'out')
    xs = [p[0] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ys = [p[1] for p in pos.values()]
    ax.set_ylim(min(ys) - 1.2, max(ys) + 1.2)
    ax.set_aspect('equal')
    ax.axis('off')
    if title:
        ax.set_title(title)
    return ax


def plot_genotype(genotype: Any, out_file: Optional[str] = None, title: Optional[str] = None,
                  cells: Sequence[str] = CELLS, dpi: int = 150):
    """Draw the normal and reduction cells of a genotype; save to ``out_file`` if given.

    ``genotype`` is anything :func:`~mmlean.nas.genotype.validate_genotype`
    accepts (any op names). Returns the matplotlib figure; pyplot is not used,
    so no backend or global figure state is touched.
    """
    from matplotlib.figure import Figure
    genotype = validate_genotype(genotype, primitives=None)
    unknown = [c for c in cells if c not in CELLS]
    if unknown or not cells:
        raise ValueError(f'plot_genotype: cells must be a non-empty subset of {CELLS}, '
                         f'got {list(cells)}')
    fig = Figure(figsize=(11, 4.2 * len(cells)))
    axes = fig.subplots(len(cells), 1, squeeze=False)
    for ax, cell in zip(axes[:, 0], cells):
        name = 'normal cell' if cell == 'normal' else 'reduction cell'
        plot_cell(getattr(genotype, cell), ax=ax, title=name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out_file is not None:
        fig.savefig(out_file, dpi=dpi)
    return fig
