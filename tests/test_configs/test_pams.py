"""PAMS configs (configs/pams) on mini DIV2K and Set5/Set14/B100/Urban100 in mmagic's SISR
layout: the full-precision EDSR / RDN teachers train, validate (Set14) and test (the four
sets); each PAMS config starts from its teacher's checkpoint (``model.fp_checkpoint``, the
key its header names), trains, tests, and is exported by tools/deployment/pams_int8.py
(packed 4/8-bit weights; int8 execution of the 8-bit models). For the CPU the training
patches are 48 HR pixels (the configs: 96 to 192)."""
import json
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

FULL_PRECISION = [
    'pams/edsr-fp_x2c64b16_1xb16-300k_div2k.py', 'pams/edsr-fp_x4c64b16_1xb16-300k_div2k.py',
    'pams/rdn-fp_x2c64b16_1xb16-1000k_div2k.py', 'pams/rdn-fp_x4c64b16_1xb16-1000k_div2k.py',
    'pams/demo/edsr-fp_x2c32b4_1xb16-1k_skimage.py',
    'pams/demo/edsr-fp_x4c64b16_1xb16-300_skimage.py',
]
# PAMS config -> its full-precision teacher
PAMS = {
    f'pams/pams_{net}-x{s}c64b16-w{b}a{b}_1xb16-30k_div2k.py':
        f'pams/{net}-fp_x{s}c64b16_1xb16-{"300k" if net == "edsr" else "1000k"}_div2k.py'
    for net in ('edsr', 'rdn') for s in (2, 4) for b in (4, 8)
}
PAMS.update({f'pams/demo/pams_edsr-x2c32b4-w{b}a{b}_1xb16-300_skimage.py':
             'pams/demo/edsr-fp_x2c32b4_1xb16-1k_skimage.py' for b in (4, 8)})
# a released model: converter arch -> the config tools/test.py evaluates it with
RELEASED = {
    'edsr-fp': 'pams/edsr-fp_x4c64b16_official-eval_benchmark.py',
    'edsr-w8': 'pams/pams_edsr-x4c64b16-w8a8_official-eval_benchmark.py',
    'edsr-w4': 'pams/pams_edsr-x4c64b16-w4a4_official-eval_benchmark.py',
    'rdn-fp': 'pams/rdn-fp_x4c64b16_official-eval_benchmark.py',
    'rdn-w8': 'pams/pams_rdn-x4c64b16-w8a8_official-eval_benchmark.py',
    'rdn-w4': 'pams/pams_rdn-x4c64b16-w4a4_official-eval_benchmark.py',
}
CONFIGS = FULL_PRECISION + sorted(PAMS) + sorted(RELEASED.values())


def _patch_options(cfg, size=48):
    """Training patches of ``size`` HR pixels instead of the configs' 96 to 192 (CPU)."""
    options = {}
    for i, step in enumerate(cfg.train_dataloader.dataset.pipeline):
        if step.get('type') == 'PairedRandomCrop':
            options[f'train_dataloader.dataset.pipeline.{i}.gt_patch_size'] = size
    return options


def _train(config, config_runs, embedded_data, extra=None):
    if 'skimage' in config:
        embedded_data('skimage_sr')
    options = _patch_options(config_runs.load(config))
    options.update(extra or {})
    return config_runs.train(config, options)


def _psnr(metrics):
    values = [v for k, v in metrics.items() if k.endswith('PSNR')]
    assert values, metrics
    return values


@pytest.mark.parametrize('config', FULL_PRECISION)
def test_full_precision(config, config_runs, embedded_data):
    run = _train(config, config_runs, embedded_data)
    assert all(v > 0 for v in _psnr(config_runs.test(run)))


@pytest.mark.parametrize('config', sorted(PAMS))
def test_pams_from_teacher_and_deploy(config, config_runs, tools, embedded_data, config_file):
    teacher = _train(PAMS[config], config_runs, embedded_data)
    run = _train(config, config_runs, embedded_data,
                 {'model.fp_checkpoint': teacher.checkpoint})
    assert all(v > 0 for v in _psnr(config_runs.test(run)))
    out, report = osp.join(run.work_dir, 'deploy'), osp.join(run.work_dir, 'deploy.json')
    tools.ok('deployment/pams_int8.py', config_file(config), run.checkpoint, '--out', out,
             '--json', report, *config_runs.test_options(run))
    with open(report) as f:
        result = json.load(f)
    bits = int(config.split('-w')[1][0])
    storage = result['storage']
    assert result['bits'] == bits and osp.getsize(result['packed_file']) > 0
    # the file on disk holds b-bit codes: about the packed size the report claims (plus the
    # pickle's overhead), below the FP32 model's
    assert result['packed_file_bytes'] < storage['model_fp32']
    assert result['packed_file_bytes'] <= 1.05 * storage['model_packed'] + 64e3
    if bits == 8:  # the int8 model computes the fake-quantized one's images
        # EDSR: to one level; RDN: its codes are within one level per dense block (see the
        # README), so the output may drift by a few levels over 16 blocks
        assert result['max_pixel_diff'] <= (1 if 'edsr' in config else 8)
        assert abs(result['psnr_int8'] - result['psnr_fake_quant']) < 0.5
    else:
        assert 'psnr_int8' not in result


def _official_layout():
    path = osp.join(osp.dirname(osp.dirname(__file__)), 'test_tools', 'test_pams_official.py')
    return load_script(path, 'pams_official_layout')


def _official_benchmark_psnr(layout, sd, arch, data_dir, set_name, scale=4):
    """The PSNR the official test logs for one set (utility.calc_psnr on benchmark data):
    HR cut to scale x LR, the SR image clamped and rounded, the difference /255 turned to
    Y with the coefficients (65.738, 129.057, 25.064) / 256, ``shave = scale``."""
    import glob

    import numpy as np
    import torch
    from PIL import Image
    coeffs = torch.tensor([65.738, 129.057, 25.064], dtype=torch.float64).view(1, 3, 1, 1) / 256
    values = []
    for hr_path in sorted(glob.glob(osp.join(data_dir, 'benchmark', set_name, 'HR', '*.png'))):
        name = osp.splitext(osp.basename(hr_path))[0]
        lr_path = osp.join(data_dir, 'benchmark', set_name, 'LR_bicubic', f'X{scale}',
                           f'{name}x{scale}.png')

        def tensor(path):
            array = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32)
            return torch.from_numpy(array).permute(2, 0, 1)[None]
        lr, hr = tensor(lr_path), tensor(hr_path)
        hr = hr[..., :lr.shape[-2] * scale, :lr.shape[-1] * scale]
        with torch.no_grad():
            sr = layout.official_forward(sd, arch, lr).clamp(0, 255).round()  # float32
        diff = ((sr.double() - hr.double()) / 255 * coeffs).sum(1)[..., scale:-scale, scale:-scale]
        values.append(float(-10 * torch.log10(diff.pow(2).mean())))
    return sum(values) / len(values)


@pytest.mark.parametrize('arch', sorted(RELEASED))
def test_released_model_converts_and_tests(arch, config_runs, tools, mini_root, tmp_path):
    """The user's two commands for a released model: the converter, then tools/test.py with
    the official-eval config on the benchmark sets in the official layout. The PSNR it
    reports is the official test's, computed here from the official forward restated."""
    layout = _official_layout()
    src, dst = str(tmp_path / 'official.pt'), str(tmp_path / 'converted.pth')
    sd = layout.write_official(src, arch, seed=1)
    tools.ok('model_converters/pams_official.py', src, dst, '--arch', arch)
    metrics = config_runs.test_checkpoint(RELEASED[arch], dst, tmp_path)
    for set_name in ('Set5', 'Set14', 'B100', 'Urban100'):
        expected = _official_benchmark_psnr(layout, sd, arch, str(mini_root / 'data'), set_name)
        got = metrics[f'{set_name}/PSNR']
        assert got == pytest.approx(expected, abs=1e-3), (set_name, metrics)


@pytest.mark.parametrize('net', ['edsr', 'rdn'])
def test_pams_trains_from_the_released_teacher(net, config_runs, tools, embedded_data, tmp_path):
    """The README's commands: the official teacher converted ``--for-training`` is the
    ``model.fp_checkpoint`` of a PAMS training config."""
    src, teacher = str(tmp_path / f'{net}_baseline_x4.pt'), str(tmp_path / 'teacher.pth')
    _official_layout().write_official(src, f'{net}-fp', seed=2)
    tools.ok('model_converters/pams_official.py', src, teacher, '--arch', f'{net}-fp',
             '--for-training')
    run = _train(f'pams/pams_{net}-x4c64b16-w8a8_1xb16-30k_div2k.py', config_runs,
                 embedded_data, {'model.fp_checkpoint': teacher})
    assert 'initialised from' in run.log() and teacher in run.log()
