"""Run trained SR models (FP or PAMS) from their configs on their test images."""
import os.path as osp
from typing import List, Tuple

import numpy as np
import torch


def load_restorer(config: str, checkpoint: str, cfg_options=None):
    """(cfg, model in eval mode) for an mmagic restorer config and its checkpoint."""
    from mmagic.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from mmlean.utils.config import load_config
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} (for {config}) does not exist')
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return cfg, model.eval()


def test_pairs(cfg) -> List[Tuple[str, np.ndarray, np.ndarray]]:
    """(name, LR, GT) RGB uint8 images of the config's (first) test set."""
    import cv2
    from mmagic.registry import DATASETS
    loader = cfg.test_dataloader
    loader = loader[0] if isinstance(loader, (list, tuple)) else loader
    dataset = DATASETS.build(dict(loader.dataset, pipeline=[]))
    pairs = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        lr, gt = (cv2.imread(info[k], cv2.IMREAD_COLOR)[..., ::-1].copy()
                  for k in ('img_path', 'gt_path'))
        pairs.append((osp.splitext(osp.basename(info['gt_path']))[0], lr, gt))
    if not pairs:
        raise FileNotFoundError(
            f'the test set of the config ({loader.dataset.get("data_root")}) is empty')
    return pairs


@torch.no_grad()
def super_resolve(net, lr: np.ndarray) -> np.ndarray:
    """Apply an SR generator to an RGB uint8 image.

    The generator gets inputs in [0, 1], as mmagic's SR preprocessor gives them.
    """
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
    y = net(x)[0].clamp(0, 1).permute(1, 2, 0).numpy()
    return np.round(y * 255).astype(np.uint8)


def psnr_y(sr: np.ndarray, gt: np.ndarray, scale: int) -> float:
    """PSNR on Y with crop border = scale (mmagic's metric function, the paper's protocol)."""
    from mmagic.evaluation.metrics.psnr import psnr
    return float(psnr(sr, gt, crop_border=scale, input_order='HWC', convert_to='Y',
                      channel_order='rgb'))
