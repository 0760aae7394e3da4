"""Drawing of ABanditNAS cells (single input, one input edge per node)."""
from typing import Optional

from .genotypes import Genotype, validate_abandit_genotype


def plot_abandit_cells(genotype: Genotype, out_file: Optional[str] = None,
                       title: Optional[str] = None):
    """One panel per cell kind: ``B0``, ``B1 .. B4`` and their concatenation; each node's
    kept input edge is an arrow, its op written under the node. Returns the matplotlib
    figure (and writes ``out_file`` if given)."""
    from matplotlib.figure import Figure
    genotype = validate_abandit_genotype(genotype)
    cells = sorted(genotype)
    fig = Figure(figsize=(5.6 * min(3, len(cells)), 3.4 * ((len(cells) + 2) // 3)))
    axes = fig.subplots((len(cells) + 2) // 3, min(3, len(cells)), squeeze=False).ravel()
    for ax, cell in zip(axes, cells):
        nodes = genotype[cell]
        xs = {j: j for j in range(len(nodes) + 1)}
        ys = {j: 0.0 for j in xs}
        out_x = len(nodes) + 1
        for j, x in xs.items():
            ax.text(x, 0, f'B{j}', ha='center', va='center', zorder=3,
                    bbox=dict(boxstyle='round', fc='#cde' if j else '#9bd', ec='black'))
        ax.text(out_x, 0, 'concat', ha='center', va='center', zorder=3,
                bbox=dict(boxstyle='round', fc='#eea', ec='black'))
        for j, (op, src) in enumerate(nodes, start=1):
            span = j - src
            rad = 0.0 if span == 1 else -0.35 - 0.05 * span
            ax.annotate('', xy=(xs[j], ys[j]), xytext=(xs[src], ys[src]),
                        arrowprops=dict(arrowstyle='-|>', lw=1.2, shrinkA=14, shrinkB=14,
                                        connectionstyle=f'arc3,rad={rad}'))
            # the op of node j's one input edge, under the node (labels on arcs collide)
            ax.text(xs[j], -0.22, f'{op}\n(from B{src})', ha='center', va='top', fontsize=7)
        ax.annotate('', xy=(out_x, 0), xytext=(xs[len(nodes)], 0),
                    arrowprops=dict(arrowstyle='-|>', lw=0.8, color='gray', shrinkA=14,
                                    shrinkB=24))
        ax.text(out_x, -0.22, f'B1..B{len(nodes)}', ha='center', va='top', fontsize=7,
                color='gray')
        ax.set_xlim(-0.6, out_x + 0.8)
        ax.set_ylim(-1.0, 1.2)
        ax.set_title(f'cell {cell}', fontsize=10)
        ax.axis('off')
    for ax in axes[len(cells):]:
        ax.axis('off')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out_file:
        fig.savefig(out_file, dpi=120)
    return fig
