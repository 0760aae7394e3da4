"""Image | ground-truth density | predicted density, with counts (matplotlib, no pyplot)."""
from typing import Optional

import numpy as np


def plot_density(img: np.ndarray, gt_density: Optional[np.ndarray],
                 pred_density: Optional[np.ndarray], gt_count: Optional[float] = None,
                 pred_count: Optional[float] = None, out_file: Optional[str] = None,
                 title: Optional[str] = None, bgr: bool = True, dpi: int = 100):
    """Three panels as crowd-counting papers show them (e.g. NAS-Count, arXiv 2003.00217,
    Fig. 1; CSRNet, CVPR 2018, Fig. 6): the image, the ground-truth density and the
    prediction, each density titled with its count (the map's sum unless given).
    Density maps at an output stride are drawn stretched over the image extent.
    Returns the figure; saves it to ``out_file`` if given."""
    from matplotlib.figure import Figure
    img = np.asarray(img)
    if img.ndim == 3 and bgr:
        img = img[..., ::-1]
    h, w = img.shape[:2]
    fig = Figure(figsize=(12, 4.2 * h / max(w, 1) + 0.8))
    axes = fig.subplots(1, 3)
    axes[0].imshow(img, cmap='gray' if img.ndim == 2 else None)
    axes[0].set_title('image')
    for ax, d, c, name in ((axes[1], gt_density, gt_count, 'ground truth'),
                           (axes[2], pred_density, pred_count, 'prediction')):
        if d is None:
            ax.set_title(f'{name}: -')
        else:
            d = np.asarray(d, np.float64).squeeze()
            c = float(d.sum()) if c is None else float(c)
            ax.imshow(d, cmap='jet', extent=(0, w, h, 0))
            ax.set_title(f'{name}: {c:.1f}')
    for ax in axes:
        ax.axis('off')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out_file is not None:
        fig.savefig(out_file, dpi=dpi)
    return fig
