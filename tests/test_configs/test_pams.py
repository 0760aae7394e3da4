"""PAMS configs (configs/pams) on mini DIV2K and Set5/Set14/B100/Urban100 in mmagic's SISR
layout: the full-precision EDSR / RDN teachers train, validate (Set14) and test (the four
sets); each PAMS config starts from its teacher's checkpoint (``model.fp_checkpoint``, the
key its header names), trains, tests, and is exported by tools/deployment/pams_int8.py
(packed 4/8-bit weights; int8 execution of the 8-bit models). For the CPU the training
patches are 48 HR pixels (the configs: 96 to 192)."""
import json
import os.path as osp

import pytest

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
CONFIGS = FULL_PRECISION + sorted(PAMS)


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
