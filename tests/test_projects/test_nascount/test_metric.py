"""CountingMetric by hand; whole-image vs sliding-window inference."""
import math

import pytest
import torch
import torch.nn as nn
from mmengine.structures import BaseDataElement

from mmlean.projects.nascount import CountingMetric, CrowdCounter


def test_mae_and_root_mse_by_hand():
    metric = CountingMetric()
    pairs = [(10.0, 12), (7.5, 7), (0.0, 3), (100.0, 90)]
    metric.process({}, [dict(pred_count=p, gt_count=g) for p, g in pairs[:2]])
    metric.process({}, [dict(pred_count=p, gt_count=g) for p, g in pairs[2:]])
    out = metric.evaluate(4)
    # errors 2, 0.5, 3, 10
    assert out['count/MAE'] == pytest.approx((2 + 0.5 + 3 + 10) / 4)
    assert out['count/MSE'] == pytest.approx(math.sqrt((4 + 0.25 + 9 + 100) / 4))
    assert out['count/RMSE'] == out['count/MSE']


def _counter(test_cfg):
    model = CrowdCounter(
        backbone=dict(type='CSRNetBackEnd', in_channels=3, channels=(3, )),
        head=dict(type='DensityHead', in_channels=3, density_scale=10.0),
        output_stride=8, test_cfg=test_cfg,
        data_preprocessor=dict(type='ImgDataPreprocessor'))
    # a purely local network: 8x8 average pooling then the 1x1 head; windows aligned to
    # the stride then see exactly what the whole image sees
    model.backbone = nn.AvgPool2d(8, 8)
    nn.init.normal_(model.head.conv.weight)
    return model.eval()


def test_sliding_window_matches_whole_image_on_a_local_network():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 72, 100)  # not a multiple of the window
    samples = [BaseDataElement(metainfo=dict(img_shape=(70, 97))) for _ in range(2)]
    model = _counter(None)
    slide_model = _counter(dict(mode='slide', crop_size=(32, 48), stride=(16, 24)))
    slide_model.load_state_dict(model.state_dict())
    whole = model.predict(x, [s.clone() for s in samples])
    slide = slide_model.predict(x, [s.clone() for s in samples])
    for a, b in zip(whole, slide):
        assert tuple(a.pred_density.shape) == (1, 9, 13)  # ceil(70/8), ceil(97/8)
        torch.testing.assert_close(a.pred_density, b.pred_density)
        assert a.pred_count == pytest.approx(b.pred_count)
        # counts are the map's sum divided by the density scale
        assert a.pred_count == pytest.approx(float(a.pred_density.sum()))


def test_slide_config_is_checked():
    with pytest.raises(ValueError, match='multiples of output_stride'):
        _counter(dict(mode='slide', crop_size=(30, 48), stride=(16, 24)))
