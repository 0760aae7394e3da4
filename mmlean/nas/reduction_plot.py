"""A picture of an operation-space reduction: which op each edge dropped, and when."""
from typing import Dict, List, Sequence


def plot_reduction_history(history: List[Dict], groups: Sequence[str],
                           choices: Sequence[str], out_file: str) -> str:
    """Grid of edges (rows) x candidate ops (columns); a cell holds the reduction
    step at which the edge abandoned that op, blank for the survivors.

    Args:
        history: ``SampleReduceMutator.reduction_history()``.
        groups: the edge aliases (row labels).
        choices: the candidate op names (column labels).
        out_file: the PNG to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    when = np.full((len(groups), len(choices)), np.nan)
    for entry in history:
        for g, group in enumerate(groups):
            op = entry['abandoned'].get(group)
            if op is not None:
                when[g, list(choices).index(op)] = entry['reduction'] + 1
    fig, ax = plt.subplots(figsize=(1.1 * len(choices) + 2.5, 0.32 * len(groups) + 1.6))
    image = ax.imshow(when, cmap='viridis_r', aspect='auto',
                      vmin=1, vmax=max(len(choices) - 1, 1))
    for g in range(len(groups)):
        for k in range(len(choices)):
            label = '' if np.isnan(when[g, k]) else str(int(when[g, k]))
            ax.text(k, g, label or 'kept', ha='center', va='center', fontsize=7,
                    color='white' if label else 'black')
    ax.set_xticks(range(len(choices)), list(choices), rotation=35, ha='right', fontsize=8)
    ax.set_yticks(range(len(groups)), list(groups), fontsize=7)
    ax.set_title('reduction at which each op was abandoned (blank: kept)', fontsize=9)
    fig.colorbar(image, ax=ax, label='reduction')
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
