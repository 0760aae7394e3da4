"""Drawing of ABanditNAS cells (single input, one input edge per node)."""
from typing import Optional

from .genotypes import Genotype, validate_abandit_genotype


def plot_abandit_cells(genotype: Genotype, out_file: Optional[str] = None,
                       title: Optional[str] = None):
    """One panel per cell kind: ``B0 -> B1 .. B4 -> concat``, each kept edge labelled with
    its op. Returns the matplotlib figure (and writes ``out_file`` if given)."""
    from matplotlib.figure import Figure
    genotype = validate_abandit_genotype(genotype)
    cells = sorted(genotype)
    fig = Figure(figsize=(4.2 * min(3, len(cells)), 3.2 * ((len(cells) + 2) // 3)))
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
            height = 0.12 + 0.17 * (span - 1)
            ax.text((xs[j] + xs[src]) / 2, height, op, ha='center', va='bottom', fontsize=7,
                    rotation=0)
            ax.annotate('', xy=(out_x, 0), xytext=(xs[j], 0),
                        arrowprops=dict(arrowstyle='-', lw=0.4, color='gray', shrinkA=14,
                                        shrinkB=20, connectionstyle='arc3,rad=0.5'))
        ax.set_xlim(-0.6, out_x + 0.8)
        ax.set_ylim(-1.0, 1.0)
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
