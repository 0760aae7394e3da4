import pytest
import torch

pytest.importorskip('mmagic')


@pytest.fixture
def build():
    """Build an mmagic model config in the mmagic scope."""
    import mmlean.projects.pams  # noqa: F401  (first: mmlean.compat)
    # isort: split
    from mmagic.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    return MODELS.build


def small_edsr(**kw):
    return dict(dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=16,
                     num_blocks=3, upscale_factor=2), **kw)


def small_rdn():
    return dict(type='RDNNet', in_channels=3, out_channels=3, mid_channels=8, num_blocks=3,
                num_layers=4, channel_growth=4, upscale_factor=2)


def pams_cfg(generator, **kw):
    return dict(type='PAMS', generator=generator, pixel_loss=dict(type='L1Loss', loss_weight=1.0),
                data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.],
                                       std=[255., 255., 255.]), **kw)


def calibrate(net, *shape):
    import mmlean.projects.pams as pams
    torch.manual_seed(1)
    pams.set_calibrating(net, True)
    with torch.no_grad():
        net(torch.rand(*shape))
    pams.set_calibrating(net, False)
    return net
