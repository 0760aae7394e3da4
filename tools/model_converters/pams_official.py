"""Convert PAMS's released models (github.com/colorjam/PAMS) into mmlean checkpoints.

    python tools/model_converters/pams_official.py SRC DST --arch ARCH

SRC is an official file: a full-precision teacher (a bare state dict, such as
``edsr_baseline_x4.pt`` / ``rdn_baseline_x4.pt``) or a trained PAMS student
(``model_best.pth.tar`` with ``state_dict``, or a bare dict such as ``8bit_edsr_x4.pt``).
ARCH names the network and the ``*_official-eval`` config that evaluates it:

    edsr-fp   configs/pams/edsr-fp_x4c64b16_official-eval_benchmark.py
    edsr-w8   configs/pams/pams_edsr-x4c64b16-w8a8_official-eval_benchmark.py
    edsr-w4   configs/pams/pams_edsr-x4c64b16-w4a4_official-eval_benchmark.py
    rdn-fp    configs/pams/rdn-fp_x4c64b16_official-eval_benchmark.py
    rdn-w8    configs/pams/pams_rdn-x4c64b16-w8a8_official-eval_benchmark.py
    rdn-w4    configs/pams/pams_rdn-x4c64b16-w4a4_official-eval_benchmark.py

(The bit width is not in the file; take it from where the file was published.) Then
evaluate with ``tools/test.py CONFIG DST``.

With ``--for-training`` a full-precision teacher is written for the training configs
instead (``edsr-fp_x4c64b16_1xb16-300k_div2k.py``, ``rdn-fp_x4c64b16_1xb16-1000k_div2k.py``),
which read images in [0, 1] (mmagic) where the official models read 0..255: every conv
bias is divided by 255 (the networks are convs, ReLUs, sums and pixel shuffles, so their
outputs scale with the input and the biases; the mean shift is the config's). The result
is the ``model.fp_checkpoint`` of the PAMS training configs, as ``--pre_train`` is for the
official ``main.py``.

Key mapping (official model/edsr_org.py, edsr.py, rdn_org.py, rdn.py, quant_ops.py):
EDSR ``head.0`` -> ``conv_first``, ``body.N.body.0`` -> ``body.N.conv1``, the second conv
(``body.N.body.2`` in the teacher, ``body.N.body.3`` in the student) -> ``body.N.conv2``,
``body.16`` -> ``conv_after_body``, ``tail.0.{0,2}`` -> ``upsample.{0,1}.upsample_conv``,
``tail.1`` -> ``conv_last``; the student's ``quant_act1/2/3`` -> ``quant_in/mid/out``.
RDN ``SFENet1/2`` -> ``sfe1/2``, ``RDBs.N.convs.C.conv.0`` -> ``rdbs.N.layers.C.conv``,
``RDBs.N.LFF`` -> ``rdbs.N.lff``, ``GFF`` -> ``gff``, ``UPNet.{0,2}`` -> ``upscale.{0,2}``,
``UPNet.4`` -> ``output``; the student's ``RDBs.N.act1`` -> ``rdbs.N.quant_in``,
``RDBs.N.convs.C.act`` -> ``rdbs.N.layers.C.conv.input_quant``, ``RDBs.N.act2`` ->
``rdbs.N.lff.input_quant``, ``act`` -> ``gff.0.input_quant``. All under ``generator``.

Dropped: the EDSR ``sub_mean``/``add_mean`` convs (checked to be the DIV2K mean shift
that the config's ``rgb_mean`` applies), every quantizer's ``max_val`` (the epoch-1
statistic, unused at test time; shape (1,) or () as trained files have it), the
duplicate ``body.N.body.2`` of each EDSR student block (the same module as
``quant_act2``: checked equal) and RDN's ``RDBs.N.convs.0.act`` (never called). Each
quantizer's ``alpha`` (shape (1,) or ()) becomes a scalar, marked initialised.
"""
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHS = {
    'edsr-fp': 'edsr-fp_x4c64b16_official-eval_benchmark.py',
    'edsr-w8': 'pams_edsr-x4c64b16-w8a8_official-eval_benchmark.py',
    'edsr-w4': 'pams_edsr-x4c64b16-w4a4_official-eval_benchmark.py',
    'rdn-fp': 'rdn-fp_x4c64b16_official-eval_benchmark.py',
    'rdn-w8': 'pams_rdn-x4c64b16-w8a8_official-eval_benchmark.py',
    'rdn-w4': 'pams_rdn-x4c64b16-w4a4_official-eval_benchmark.py',
}
TRAINING = {
    'edsr-fp': 'edsr-fp_x4c64b16_1xb16-300k_div2k.py',
    'rdn-fp': 'rdn-fp_x4c64b16_1xb16-1000k_div2k.py',
}
DIV2K_MEAN = (0.4488, 0.4371, 0.4040)  # official common.MeanShift, rgb_range 255
EDSR_BLOCKS = 16

EDSR_RULES = [  # (official pattern, mmlean name); {q} marks a quantizer
    (r'head\.0\.(weight|bias)', r'conv_first.\1'),
    (rf'body\.{EDSR_BLOCKS}\.(weight|bias)', r'conv_after_body.\1'),
    (r'body\.(\d+)\.body\.0\.(weight|bias)', r'body.\1.conv1.\2'),
    (r'tail\.0\.0\.(weight|bias)', r'upsample.0.upsample_conv.\1'),
    (r'tail\.0\.2\.(weight|bias)', r'upsample.1.upsample_conv.\1'),
    (r'tail\.1\.(weight|bias)', r'conv_last.\1'),
    (r'body\.(\d+)\.quant_act1\.alpha', r'body.\1.quant_in.alpha'),
    (r'body\.(\d+)\.quant_act2\.alpha', r'body.\1.quant_mid.alpha'),
    (r'body\.(\d+)\.quant_act3\.alpha', r'body.\1.quant_out.alpha'),
]
RDN_RULES = [
    (r'SFENet([12])\.(weight|bias)', r'sfe\1.\2'),
    (r'RDBs\.(\d+)\.convs\.(\d+)\.conv\.0\.(weight|bias)', r'rdbs.\1.layers.\2.conv.\3'),
    (r'RDBs\.(\d+)\.LFF\.(weight|bias)', r'rdbs.\1.lff.\2'),
    (r'GFF\.([01])\.(weight|bias)', r'gff.\1.\2'),
    (r'UPNet\.([02])\.(weight|bias)', r'upscale.\1.\2'),
    (r'UPNet\.4\.(weight|bias)', r'output.\1'),
    (r'RDBs\.(\d+)\.act1\.alpha', r'rdbs.\1.quant_in.alpha'),
    (r'RDBs\.(\d+)\.convs\.([1-9]\d*)\.act\.alpha', r'rdbs.\1.layers.\2.conv.input_quant.alpha'),
    (r'RDBs\.(\d+)\.act2\.alpha', r'rdbs.\1.lff.input_quant.alpha'),
    (r'act\.alpha', r'gff.0.input_quant.alpha'),
]


def _error(message):
    from mmlean.utils.model_conversion import ConversionError
    return ConversionError(message)


def _check_mean_shift(official, src):
    """The EDSR mean-shift convs must be the official DIV2K ones (rgb_range 255, std 1)."""
    import torch
    mean = torch.tensor(DIV2K_MEAN)
    for name, sign in (('sub_mean', -1), ('add_mean', 1)):
        weight, bias = official.get(f'{name}.weight'), official.get(f'{name}.bias')
        if weight is None or bias is None:
            continue
        if not (torch.allclose(weight.float().flatten(), torch.eye(3).flatten())
                and torch.allclose(bias.float(), sign * 255 * mean, atol=1e-3)):
            raise _error(f'{src}: {name} is not the mean shift of rgb_range 255 and the DIV2K '
                         f'mean {DIV2K_MEAN} that the official-eval config applies')


def _quantizer_entries(name, alpha, src, key):
    """The mmlean quantizer state of an official ``alpha`` (shape (1,) or ())."""
    import torch
    if alpha.numel() != 1:
        raise _error(f'{src}: {key} has shape {tuple(alpha.shape)}, expected (1,) or ()')
    value = alpha.detach().reshape(()).float()
    if not float(value) > 0:
        raise _error(f'{src}: {key} = {float(value)}; a trained PAMS quantizer has alpha > 0')
    base = name[:-len('.alpha')]
    return {name: value, f'{base}.initialized': torch.tensor(True),
            f'{base}.calib_sum': value.double(), f'{base}.calib_batches': torch.tensor(1)}


def map_state(official, arch, src):
    """``official`` (no ``module.`` prefix) -> the mmlean ``generator.*`` state dict."""
    import torch
    net, precision = arch.split('-')
    student = precision != 'fp'
    has_alpha = any(k.endswith('.alpha') for k in official)
    if has_alpha != student:
        kind = 'a PAMS student (it has quantizer alphas)' if has_alpha else \
            'a full-precision model (it has no quantizer alphas)'
        choices = ' or '.join(f'{net}-{p}' for p in (('w8', 'w4') if has_alpha else ('fp', )))
        raise _error(f'{src}: the file is {kind}; use --arch {choices}')
    rules = list(EDSR_RULES if net == 'edsr' else RDN_RULES)
    if net == 'edsr':  # the second conv of a block: index 2 in the teacher, 3 in the student
        rules.append((r'body\.(\d+)\.body\.%d\.(weight|bias)' % (3 if student else 2),
                      r'body.\1.conv2.\2'))
        _check_mean_shift(official, src)
    converted, unknown = {}, []
    for key, value in official.items():
        if key.endswith('.max_val') or key.startswith(('sub_mean.', 'add_mean.')):
            continue
        if net == 'edsr' and student and re.fullmatch(r'body\.\d+\.body\.2\.alpha', key):
            twin = key.replace('body.2.alpha', 'quant_act2.alpha')
            if twin not in official or not torch.equal(official[twin], value):
                raise _error(f'{src}: {key} should be the same quantizer as {twin}')
            continue
        if net == 'rdn' and re.fullmatch(r'RDBs\.\d+\.convs\.0\.act\.alpha', key):
            continue  # registered, never called (official PAMS_RDB_Conv_in: i > 0)
        for pattern, target in rules:
            if re.fullmatch(pattern, key):
                name = 'generator.' + re.sub(pattern, target, key)
                if key.endswith('.alpha'):
                    converted.update(_quantizer_entries(name, value, src, key))
                else:
                    converted[name] = value
                break
        else:
            unknown.append(key)
    if unknown:
        from mmlean.utils.model_conversion import listed_keys
        raise _error(f'{src}: {len(unknown)} key(s) that an official PAMS {net.upper()} does '
                     f'not have: {listed_keys(unknown)}')
    return converted


def convert(src: str, dst: str, arch: str, for_training: bool = False) -> dict:
    """Convert ``src`` for ``arch``; returns the written checkpoint's meta."""
    from mmlean.utils.model_conversion import (build_model, check_against_model, find_state_dict,
                                               read_official, save_converted)
    if for_training and arch not in TRAINING:
        raise _error(f'--for-training converts the full-precision teachers '
                     f'({", ".join(TRAINING)}), not {arch}')
    config = osp.join(ROOT, 'configs', 'pams', (TRAINING if for_training else ARCHS)[arch])
    raw = read_official(src)
    official = find_state_dict(raw, src, keys=('state_dict', ))
    converted = map_state(official, arch, src)
    if for_training:  # 0..255 -> [0, 1] inputs: the biases scale with the features
        converted = {k: v / 255 if k.endswith('.bias') else v for k, v in converted.items()}
    _, model = build_model(config)
    check_against_model(converted, model.state_dict(), src)
    model.load_state_dict(converted, strict=True)
    extra = {k: raw[k] for k in ('epoch', )
             if isinstance(raw, dict) and isinstance(raw.get(k), (int, float, str))}
    return save_converted(converted, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, official=extra, input_range=1 if for_training else 255))


def main(argv=None):
    from mmlean.utils.model_conversion import converter_parser, run_converter
    parser = converter_parser(
        __doc__, ARCHS, 'official file (.pt / .pth.tar)')
    parser.add_argument('--for-training', action='store_true',
                        help='write a teacher for the training configs ([0, 1] inputs)')
    args = parser.parse_args(argv)
    return run_converter('pams_official.py', args,
                         lambda: convert(args.src, args.dst, args.arch, args.for_training))


if __name__ == '__main__':
    sys.exit(main())
