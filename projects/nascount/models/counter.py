"""The density-map crowd counter: backbone (+ decoder) + density head, on mmengine."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModel, BaseModule
from mmengine.registry import MODELS
from mmengine.structures import BaseDataElement

TEST_MODES = ('whole', 'slide')


@MODELS.register_module()
class DensityHead(BaseModule):
    """``1 x 1`` conv to a one-channel density map, and its loss.

    The output layer of CSRNet (Li et al., CVPR 2018, Sec. 3.1, Fig. 2: a
    ``1 x 1`` conv after the back end) and of NAS-Count's AMSNet (arXiv
    2003.00217, Sec. 3: a density head on the decoder). The network predicts
    ``density_scale`` times the density (targets are scaled in the loss,
    counts divided back), a common trick for the tiny per-pixel values of
    density maps (the factor NAS-Count used is not verified; 1 by default).

    Args:
        in_channels (int): channels of the last feature.
        loss (dict): the loss between scaled prediction and target, e.g.
            ``SPPLoss``. Defaults to ``dict(type='SPPLoss', levels=0)`` (MSE).
        density_scale (float): Defaults to 1.
        act_cfg (dict, optional): activation of the output (e.g. ReLU);
            None (linear, as CSRNet) by default.
    """

    def __init__(self, in_channels: int, loss: Dict = dict(type='SPPLoss', levels=0),
                 density_scale: float = 1.0, act_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(in_channels, 1, 1)
        self.act = build_activation_layer(act_cfg) if act_cfg else None
        self.loss_module = MODELS.build(copy.deepcopy(loss))
        self.density_scale = float(density_scale)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        out = self.conv(feat)
        return self.act(out) if self.act is not None else out

    def loss(self, feat: torch.Tensor, data_samples: Sequence[BaseDataElement]) -> Dict:
        pred = self(feat)
        target = torch.stack([s.gt_density for s in data_samples]).to(pred)
        if target.shape != pred.shape:
            raise ValueError(
                f'DensityHead: predicted density {tuple(pred.shape)} but the target is '
                f'{tuple(target.shape)}: make the training crops a multiple of the output '
                'stride and DownsampleDensity(stride) match the network')
        loss = self.loss_module(pred, target * self.density_scale)
        with torch.no_grad():
            err = (pred.sum((1, 2, 3)) - target.sum((1, 2, 3)) * self.density_scale).abs()
        return dict(loss_density=loss, mae=err.mean() / self.density_scale)


@MODELS.register_module()
class CrowdCounter(BaseModel):
    """A counting-by-density model: ``backbone -> [neck] -> DensityHead``.

    The common frame of density-regression counters (CSRNet, Li et al., CVPR
    2018; NAS-Count's AMSNet, Hu et al., ECCV 2020, arXiv 2003.00217), so that
    both go through one pipeline. Registered in mmengine's root ``MODELS``:
    counting belongs to no OpenMMLab codebase.

    ``mode='loss'``: the head's loss against ``gt_density`` (at the output
    stride). ``mode='predict'``: every data sample gets ``pred_density`` (the
    map at the output stride, cropped to the image, in heads per cell) and
    ``pred_count``. ``test_cfg=dict(mode='slide', crop_size=(h, w),
    stride=(sh, sw))`` infers large images window by window (multiples of
    ``output_stride``), averaging overlapping predictions, as mmseg's sliding
    inference; ``'whole'`` (default) runs the full image at once.

    Args:
        backbone (dict): returns a tensor or a tuple (the last one is used
            when there is no neck).
        head (dict): a :class:`DensityHead`.
        neck (dict, optional): e.g. a decoder or CSRNet's back end.
        output_stride (int): input / output size ratio. Defaults to 8.
        test_cfg (dict, optional): see above.
        data_preprocessor (dict, optional): defaults to mmengine's
            ``ImgDataPreprocessor`` with ``pad_size_divisor=output_stride``.
    """

    def __init__(self, backbone: Dict, head: Dict, neck: Optional[Dict] = None,
                 output_stride: int = 8, test_cfg: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None, init_cfg: Optional[Dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImgDataPreprocessor', pad_size_divisor=output_stride)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        self.neck = MODELS.build(copy.deepcopy(neck)) if neck is not None else None
        self.head = MODELS.build(copy.deepcopy(head))
        self.output_stride = output_stride
        self.test_cfg = dict(test_cfg or dict(mode='whole'))
        mode = self.test_cfg.get('mode', 'whole')
        if mode not in TEST_MODES:
            raise ValueError(f'CrowdCounter: test_cfg.mode must be one of {TEST_MODES}, '
                             f'got {mode!r}')
        if mode == 'slide':
            for key in ('crop_size', 'stride'):
                value = self.test_cfg.get(key)
                value = (value, value) if isinstance(value, int) else value
                if value is None or len(value) != 2 or any(v % output_stride or v <= 0
                                                           for v in value):
                    raise ValueError(f'CrowdCounter: test_cfg.{key} must be (h, w), positive '
                                     f'multiples of output_stride={output_stride}; got {value}')
                self.test_cfg[key] = tuple(value)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.backbone(inputs)
        if self.neck is not None:
            x = self.neck(x)
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return x

    def density(self, inputs: torch.Tensor) -> torch.Tensor:
        """The predicted (scaled) density of a padded batch."""
        return self.head(self.extract_feat(inputs))

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.head.loss(self.extract_feat(inputs), data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.density(inputs)
        raise RuntimeError(f'CrowdCounter: invalid mode {mode!r}')

    def _pad(self, inputs: torch.Tensor) -> torch.Tensor:
        s = self.output_stride
        ph, pw = (-inputs.shape[-2]) % s, (-inputs.shape[-1]) % s
        return F.pad(inputs, (0, pw, 0, ph)) if ph or pw else inputs

    def slide_density(self, inputs: torch.Tensor) -> torch.Tensor:
        """Window-by-window density of a padded batch, overlaps averaged."""
        s = self.output_stride
        inputs = self._pad(inputs)
        n, _, h, w = inputs.shape
        (ch, cw), (sh, sw) = self.test_cfg['crop_size'], self.test_cfg['stride']
        out = inputs.new_zeros((n, 1, h // s, w // s))
        hits = inputs.new_zeros((1, 1, h // s, w // s))
        rows = max(h - ch + sh - 1, 0) // sh + 1
        cols = max(w - cw + sw - 1, 0) // sw + 1
        for i in range(rows):
            for j in range(cols):
                y1, x1 = i * sh, j * sw
                y2, x2 = min(y1 + ch, h), min(x1 + cw, w)
                y1, x1 = max(y2 - ch, 0), max(x2 - cw, 0)
                d = self.density(inputs[:, :, y1:y2, x1:x2])
                out[:, :, y1 // s:y2 // s, x1 // s:x2 // s] += d
                hits[:, :, y1 // s:y2 // s, x1 // s:x2 // s] += 1
        return out / hits

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None) -> List[BaseDataElement]:
        if self.test_cfg.get('mode', 'whole') == 'slide':
            density = self.slide_density(inputs)
        else:
            density = self.density(self._pad(inputs))
        density = density / self.head.density_scale
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(inputs))]
        s = self.output_stride
        for d, sample in zip(density, data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[-2:])[:2]
            d = d[:, :-(-h // s), :-(-w // s)].detach()
            sample.pred_density = d
            sample.set_metainfo(dict(pred_count=float(d.double().sum())))
        return data_samples


def count_from(samples: Sequence[BaseDataElement]) -> Tuple[List[float], List[float]]:
    """``(predicted counts, ground-truth counts)`` of predicted data samples."""
    return ([float(s.pred_count) for s in samples], [float(s.gt_count) for s in samples])
