"""The PAMS model: FP initialisation, SKT loss, calibration, optimizer groups, bad input."""
import pytest
import torch
import torch.nn.functional as F

from .conftest import pams_cfg, small_edsr


def data_sample(n, size):
    from mmagic.structures import DataSample
    return DataSample(gt_img=torch.rand(n, 3, size, size))


def save_fp_checkpoint(build, path):
    fp = build(dict(type='BaseEditModel', generator=small_edsr(),
                    pixel_loss=dict(type='L1Loss', loss_weight=1.0)))
    torch.save(dict(meta=dict(), state_dict=fp.state_dict()), path)
    return fp


def test_student_and_teacher_start_from_the_fp_checkpoint(build, tmp_path):
    ckpt = tmp_path / 'fp.pth'
    fp = save_fp_checkpoint(build, ckpt)
    model = build(pams_cfg(small_edsr(), bits=8, fp_checkpoint=str(ckpt)))
    model.init_weights()  # what mmengine's runner calls before training
    fp_state = fp.generator.state_dict()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, fp_state[key]), key
    student = model.generator.state_dict()
    for key, value in fp_state.items():
        assert torch.equal(student[key], value), key  # the official code skips this
    model.init_weights()  # twice: submodule re-initialisation must not win
    assert torch.equal(model.generator.state_dict()['body.0.conv1.weight'],
                       fp_state['body.0.conv1.weight'])
    assert torch.equal(model.teacher.state_dict()['body.0.conv1.weight'],
                       fp_state['body.0.conv1.weight'])
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.train()
    assert not model.teacher.training


def test_mismatched_checkpoint_names_missing_and_unexpected_keys(build, tmp_path):
    from mmlean.projects.pams import CheckpointMismatchError
    ckpt = tmp_path / 'fp.pth'
    save_fp_checkpoint(build, ckpt)
    state = torch.load(ckpt, weights_only=True)
    state['state_dict'].pop('generator.body.1.conv2.weight')
    state['state_dict']['generator.extra.weight'] = torch.zeros(1)
    torch.save(state, ckpt)
    with pytest.raises(CheckpointMismatchError,
                       match=r'fp.pth does not match EDSRNet: '
                             r'missing keys \[body.1.conv2.weight\], '
                             r'unexpected keys \[extra.weight\]'):
        build(pams_cfg(small_edsr(), bits=8, fp_checkpoint=str(ckpt))).init_weights()
    wrong = build(dict(type='BaseEditModel', generator=small_edsr(mid_channels=8),
                       pixel_loss=dict(type='L1Loss')))
    torch.save(dict(state_dict=wrong.state_dict()), ckpt)
    with pytest.raises(CheckpointMismatchError,
                       match=r'conv_first.weight: checkpoint \(8, 3, 3, 3\) '
                             r'vs model \(16, 3, 3, 3\)'):
        build(pams_cfg(small_edsr(), bits=8, fp_checkpoint=str(ckpt))).init_weights()


def test_unsupported_bits_names_the_supported_ones(build):
    with pytest.raises(ValueError,
                       match=r'PAMS.bits=5 is not supported; supported bit widths are 2, 4, 8'):
        build(pams_cfg(small_edsr(), bits=5))


def independent_at(feat):
    """PAMS's at(): the channel-summed squared map, L2-normalised per sample."""
    a = (feat ** 2).sum(dim=1).flatten(1)
    return a / a.norm(dim=1, keepdim=True)


def test_skt_loss_is_mmrazors_atloss_and_the_pams_formula(build):
    from mmrazor.models.losses import ATLoss

    import mmlean.projects.pams as pams
    model = build(pams_cfg(small_edsr(), bits=4))
    assert isinstance(model.skt_loss, ATLoss) and model.skt_loss.loss_weight == 1000.0
    pams.set_calibrating(model.generator, True)
    model.forward_train(torch.rand(2, 3, 8, 8), data_sample(2, 16))
    pams.set_calibrating(model.generator, False)
    feats = {}
    model.generator.upsample.register_forward_pre_hook(lambda m, i: feats.__setitem__('s', i[0]))
    model.teacher.upsample.register_forward_pre_hook(lambda m, i: feats.__setitem__('t', i[0]))
    x, ds = torch.rand(2, 3, 8, 8), data_sample(2, 16)
    losses = model.forward_train(x, ds)
    expected_skt = 1000 * ((independent_at(feats['s']) - independent_at(feats['t'])) ** 2).mean()
    assert losses['loss_skt'].item() == pytest.approx(expected_skt.item(), rel=1e-5)
    assert losses['loss_skt'].item() > 0
    sr = model.generator(x)
    assert losses['loss'].item() == pytest.approx(F.l1_loss(sr, ds.gt_img).item(), rel=1e-5)


def test_training_without_calibration_is_refused(build):
    model = build(pams_cfg(small_edsr(), bits=8))
    with pytest.raises(RuntimeError, match='PAMSCalibrationHook'):
        model.forward_train(torch.rand(1, 3, 8, 8), data_sample(1, 16))


def test_alpha_gets_its_own_learning_rate(build):
    from mmengine.optim import build_optim_wrapper

    from mmlean.utils.config import load_config
    cfg = load_config('configs/pams/pams_edsr-x4c64b16-w8a8_1xb16-30k_div2k.py')
    model = build(pams_cfg(small_edsr(), bits=8))
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    lr_of = {}
    for group in optim.param_groups:
        for p in group['params']:
            lr_of[id(p)] = (group['lr'], group['weight_decay'])
    for name, p in model.named_parameters():
        if not p.requires_grad:  # the frozen teacher
            continue
        expected = (1e-2, 0.0) if name.endswith('.alpha') else (1e-4, 0)
        assert lr_of[id(p)] == expected, name
