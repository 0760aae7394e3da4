"""PAMSCalibrationHook: alpha from the data for the first iterations, then clipping."""
import pytest
import torch

from .conftest import pams_cfg, small_edsr


class FakeRunner:
    def __init__(self, model, it):
        self.model, self.iter = model, it


def test_calibrates_for_the_first_iterations_then_clips(build):
    from mmagic.structures import DataSample

    import mmlean.projects.pams as pams
    model = build(pams_cfg(small_edsr(), bits=8))
    hook = pams.PAMSCalibrationHook(calib_iters=2)
    quantizers = pams.act_quantizers(model.generator)
    ds = DataSample(gt_img=torch.rand(2, 3, 16, 16))
    for it in range(2):
        hook.before_train_iter(FakeRunner(model, it), it)
        assert all(q.calibrating for q in quantizers)
        model.forward_train(torch.rand(2, 3, 8, 8), ds)
        hook.after_train_iter(FakeRunner(model, it), it)
    assert not any(q.calibrating for q in quantizers)
    assert all(int(q.calib_batches) == 2 and bool(q.initialized) for q in quantizers)
    alphas = [float(q.alpha.detach()) for q in quantizers]
    hook.before_train_iter(FakeRunner(model, 2), 2)
    assert not any(q.calibrating for q in quantizers)
    model.forward_train(torch.rand(2, 3, 8, 8), ds)
    assert [float(q.alpha.detach()) for q in quantizers] == alphas  # no more data-driven updates
    # the calibration state travels in the state dict (resume does not recalibrate)
    state = model.state_dict()
    assert all(bool(state[k]) for k in state if k.endswith('initialized'))


def test_calib_iters_must_be_positive():
    import mmlean.projects.pams as pams
    with pytest.raises(ValueError, match='calib_iters must be >= 1, got 0'):
        pams.PAMSCalibrationHook(calib_iters=0)
