"""Convert a released BNAS checkpoint (github.com/bczhangbczhang/BNAS) into an mmlean checkpoint.

    python tools/model_converters/bnas_official.py SRC DST --arch {xnor,xnor-larger}

SRC is ``weights/XNOR.pth.tar`` (``--arch xnor``: C = 36) or ``XNOR_larger.pth.tar``
(``--arch xnor-larger``: C = 44): a DataParallel state dict (``module.`` keys) of the
official ``NetworkCIFAR(C, 10, 20, auxiliary=True, BNAS_XNOR_1)`` (models/darts_cnn_x.py).
It loads into configs/bnas/bnas-xnor-c{36,44}l20-1w32a_1xb96-600e_cifar10.py, which
rebuild that network (XNOR W1A32 convs, BN eps 1e-3 as the official test's
``set_bn_param(0.1, 1e-3)``); evaluate with ``tools/test.py CONFIG DST``.

Key mapping (official models/darts_cell_x.py, darts_ops_x.py): ``stem`` -> ``backbone.stem``;
``cells.i.preprocess{0,1}.op`` (ReLU-XNOR 1x1-BN) -> ``backbone.cells.i.preproc{0,1}.net``,
the full-precision FactorizedReduce after a reduction cell keeps ``conv1/conv2/bn``;
``cells.i._ops.j`` -> the mmrazor edge of the j-th (op, input) of the genotype,
``backbone.cells.i.nodes.<j//2>.route._candidates.<normal|reduce>_n<j//2+2>_p<input>.
_candidates.<op>``, with a dilated conv's ``net`` -> ``conv1`` and a separable conv's
``net.0.net`` / ``net.1.net`` -> ``conv1`` / ``conv2``; ``auxiliary_head.features`` ->
``backbone.auxliary_module.net``, ``auxiliary_head.classifier`` -> ``head.aux_linear``,
``classifier`` -> ``head.fc``. The official XNOR convs hold only their latent weight
(alpha = mean|W| is computed in the forward), as ours.
"""
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHS = {'xnor': 'bnas-xnor-c36l20-1w32a_1xb96-600e_cifar10.py',
         'xnor-larger': 'bnas-xnor-c44l20-1w32a_1xb96-600e_cifar10.py'}
LAYERS = 20


def map_key(key: str, genotype, layers: int = LAYERS) -> str:
    """The mmlean key of an official ``NetworkCIFAR`` key (without ``module.``)."""
    from mmlean.utils.model_conversion import ConversionError
    for old, new in (('stem.', 'backbone.stem.'), ('classifier.', 'head.fc.'),
                     ('auxiliary_head.features.', 'backbone.auxliary_module.net.'),
                     ('auxiliary_head.classifier.', 'head.aux_linear.')):
        if key.startswith(old):
            return new + key[len(old):]
    match = re.match(r'cells\.(\d+)\.preprocess([01])\.(.*)$', key)
    if match:
        cell, which, rest = match.groups()
        return f'backbone.cells.{cell}.preproc{which}.' + re.sub(r'^op\.', 'net.', rest)
    match = re.match(r'cells\.(\d+)\._ops\.(\d+)\.(.*)$', key)
    if not match:
        raise ConversionError(f'{key}: not a key of the official BNAS NetworkCIFAR')
    cell, index, rest = int(match[1]), int(match[2]), match[3]
    kind = 'reduce' if cell in (layers // 3, 2 * layers // 3) else 'normal'
    edges = getattr(genotype, kind)
    if index >= len(edges):
        raise ConversionError(f'{key}: the genotype has {len(edges)} ops per cell')
    op, source = edges[index]
    if op.startswith('sep_conv'):
        rest = re.sub(r'^net\.([01])\.net\.', lambda m: f'conv{int(m[1]) + 1}.', rest)
    elif op.startswith('dil_conv'):
        rest = re.sub(r'^net\.', 'conv1.', rest)
    node = index // 2
    return (f'backbone.cells.{cell}.nodes.{node}.route._candidates.'
            f'{kind}_n{node + 2}_p{source}._candidates.{op}.{rest}')


def convert(src: str, dst: str, arch: str) -> dict:
    import torch

    from mmlean.binary import XNORConv2d
    from mmlean.nas import GENOTYPES
    from mmlean.utils.model_conversion import (build_model, check_against_model, find_state_dict,
                                               read_official, save_converted)
    config = osp.join(ROOT, 'configs', 'bnas', ARCHS[arch])
    official = find_state_dict(read_official(src), src)
    converted = {map_key(k, GENOTYPES['BNAS_XNOR_1']): v for k, v in official.items()}
    _, model = build_model(config)
    reference = model.state_dict()
    # the official README names PyTorch 0.4.0, which had no num_batches_tracked
    added = [k for k in reference if k.endswith('num_batches_tracked') and k not in converted]
    for key in added:
        converted[key] = torch.zeros_like(reference[key])
    check_against_model(converted, reference, src)
    model.load_state_dict(converted, strict=True)
    # sign(0) is 0 in the official code and +1 here: a latent weight exactly 0 differs
    zeros = sum(int((m.weight == 0).sum()) for m in model.modules()
                if isinstance(m, XNORConv2d))
    meta = save_converted(converted, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, filled_num_batches_tracked=len(added),
                               xnor_weights_exactly_zero=zeros))
    if zeros:
        print(f'bnas_official.py: warning: {zeros} XNOR weights are exactly 0 (official '
              'sign(0) = 0, ours +1): outputs can differ slightly', file=sys.stderr)
    return meta


def main(argv=None):
    from mmlean.utils.model_conversion import converter_parser, run_converter
    parser = converter_parser(
        __doc__, ARCHS, 'official checkpoint (XNOR.pth.tar / XNOR_larger.pth.tar)')
    args = parser.parse_args(argv)
    import mmlean.nas  # noqa: F401  (the NAS ops the configs build)
    return run_converter('bnas_official.py', args,
                         lambda: convert(args.src, args.dst, args.arch))


if __name__ == '__main__':
    sys.exit(main())
