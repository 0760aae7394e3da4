"""Side-by-side crops and PSNR-Y of FP, PAMS 8-bit and PAMS 4-bit SR models.

    python tools/analysis_tools/pams_compare.py FP_CFG FP_CKPT W8_CFG W8_CKPT W4_CFG W4_CKPT \
        --out compare.png [--json compare.json] [--crop 96]

On the FP config's test images: PSNR-Y (crop border = scale) of bicubic
upsampling (MATLAB-like, mmagic's MATLABLikeResize), of each model, and one
PNG with LR (nearest) / bicubic / FP / PAMS-8 / PAMS-4 / ground truth crops
of the region where the FP model gains most over bicubic.
"""
import argparse
import json
import sys

from mmengine.config import DictAction


def best_crop(gt, bicubic, sr, size):
    """Top-left corner of the size x size window where sr beats bicubic most."""
    import numpy as np
    gain = (np.abs(bicubic.astype(float) - gt) - np.abs(sr.astype(float) - gt)).mean(axis=2)
    h, w = gain.shape
    step = max(size // 4, 1)
    best, corner = -np.inf, (0, 0)
    for y in range(0, max(h - size, 0) + 1, step):
        for x in range(0, max(w - size, 0) + 1, step):
            score = gain[y:y + size, x:x + size].mean()
            if score > best:
                best, corner = score, (y, x)
    return corner


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ('fp', 'w8', 'w4'):
        parser.add_argument(f'{name}_config')
        parser.add_argument(f'{name}_checkpoint')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--json', help='write the PSNRs here')
    parser.add_argument('--crop', type=int, default=96, help='HR crop size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override settings of the config(s), '
                        'e.g. test_dataloader.dataset.data_root=...')
    args = parser.parse_args()
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    import mmlean.projects.pams  # noqa: F401  (first: mmlean.compat)
    # isort: split
    from mmagic.datasets.transforms import MATLABLikeResize

    from mmlean.projects.pams.inference import load_restorer, psnr_y, super_resolve, test_pairs

    models = {}
    for key, label in (('fp', 'FP32'), ('w8', 'PAMS 8-bit'), ('w4', 'PAMS 4-bit')):
        cfg, model = load_restorer(getattr(args, f'{key}_config'),
                                   getattr(args, f'{key}_checkpoint'), args.cfg_options)
        models[label] = (cfg, model.generator)
    cfg = models['FP32'][0]
    scale = cfg.model.generator.upscale_factor
    results = {name: {} for name in ['bicubic', *models]}
    panels = None
    for img_name, lr, gt in test_pairs(cfg):
        bic = MATLABLikeResize(keys=['img'], scale=scale).transform(dict(img=lr))['img']
        bic = np.clip(np.round(bic), 0, 255).astype(np.uint8)[:gt.shape[0], :gt.shape[1]]
        outs = {'bicubic': bic}
        outs.update({label: super_resolve(net, lr) for label, (_, net) in models.items()})
        for label, img in outs.items():
            results[label][img_name] = psnr_y(img, gt, scale)
        if panels is None:
            y, x = best_crop(gt, bic, outs['FP32'], args.crop)
            crop = lambda im: im[y:y + args.crop, x:x + args.crop]  # noqa: E731
            lr_up = np.repeat(np.repeat(lr, scale, 0), scale, 1)
            panels = [('LR (nearest)', crop(lr_up), None)]
            panels += [(label, crop(img), results[label][img_name]) for label, img in outs.items()]
            panels += [('ground truth', crop(gt), None)]
            title = f'{img_name}, x{scale}, crop at ({y}, {x})'
    summary = {label: float(np.mean(list(v.values()))) for label, v in results.items()}
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (label, img, value) in zip(axes, panels):
        ax.imshow(img, interpolation='nearest')
        ax.set_title(label if value is None else f'{label}\n{value:.2f} dB', fontsize=9)
        ax.axis('off')
    fig.suptitle(f'{title}; PSNR-Y on this image', fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.savefig(args.out, dpi=120)
    for label, value in summary.items():
        print(f'{label:>11}: PSNR-Y {value:.3f} dB (mean over {len(results[label])} test images)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(mean_psnr_y=summary, per_image=results, figure=args.out), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
