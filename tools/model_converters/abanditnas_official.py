"""Convert a released ABanditNAS checkpoint (github.com/bczhangbczhang/ABanditNAS) into mmlean.

    python tools/model_converters/abanditnas_official.py SRC DST --arch {cifar1,cifar2}

SRC is ``weights/ABANDIT_CIFAR_1.pth.tar`` (``--arch cifar1``: the network with the three
manual denoising blocks) or ``ABANDIT_CIFAR_2.pth.tar`` (``--arch cifar2``: without them),
the state dict under ``'model'`` with DataParallel ``module.`` keys, of the official
``NetworkCIFAR(3, 48, 10, 10, auxiliary=True, ...)`` (models/darts_cnn_bandit_all.py). It
loads into configs/abanditnas/abanditnas-10_cifar{1,2}-c48l10_pgd7_1xb128-200e_cifar10.py;
evaluate with the official attacks and budget by ``tools/test.py`` and the matching
``*_official-eval_cifar10.py`` config.

Key mapping (official darts_cell_all.py, darts_ops_1.py, filter.py): ``stem`` ->
``backbone.stem``; ``cells.i.preprocess1.op`` -> ``backbone.cells.i.preprocess``;
``cells.i._ops.j`` -> the mmrazor edge of the cell kind of cell i (``a a b b c d d e f f``)
and its j-th (op, input), ``backbone.cells.i.nodes.j.route._candidates.<kind>_n<j+1>_p<input>.
_candidates.<op>``, a separable conv's ``net.0.net`` / ``net.1.net`` -> ``depthwise`` /
``full``, a denoising block's BN ``filterblock.1`` -> ``norm`` and its Gabor parameters
``filterblock.0.{Lambda,theta,psi,sigma,gamma}`` -> ``filter.{lambd,...}`` (the official
module is registered twice: the copies under ``filter.*`` are checked equal and dropped);
``cells.i.denoseblock.filterblock.1`` -> ``backbone.cells.i.denoise.norm``; the auxiliary head
and classifier as for BNAS; everything under ``architecture``. Written besides: the input
normalisation the official model applies inside (``backbone.mean/std``, CIFAR-10's exact
statistics), and the search masks of the fixed edges (all kept).
"""
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHS = {'cifar1': ('abanditnas-10_cifar1-c48l10_pgd7_1xb128-200e_cifar10.py', 'ABANDIT_CIFAR_1'),
         'cifar2': ('abanditnas-10_cifar2-c48l10_pgd7_1xb128-200e_cifar10.py', 'ABANDIT_CIFAR_2')}
# attacks/advtrain.py Normalize('cifar10'): applied inside the official model
CIFAR10_MEAN = (0.49139968, 0.48215827, 0.44653124)
CIFAR10_STD = (0.24703233, 0.24348505, 0.26158768)
GABOR = {'Lambda': 'lambd', 'theta': 'theta', 'psi': 'psi', 'sigma': 'sigma', 'gamma': 'gamma'}
LAYERS, KINDS = 10, 6


def map_key(key: str, genotype, kinds):
    """The mmlean key of an official key (without ``module.``), or None (a duplicate)."""
    from mmlean.utils.model_conversion import ConversionError
    prefix = 'architecture.'
    for old, new in (('stem.', 'backbone.stem.'), ('classifier.', 'head.fc.'),
                     ('auxiliary_head.features.', 'backbone.auxliary_module.net.'),
                     ('auxiliary_head.classifier.', 'head.aux_linear.')):
        if key.startswith(old):
            return prefix + new + key[len(old):]
    match = re.match(r'cells\.(\d+)\.preprocess1\.op\.(.*)$', key)
    if match:
        return f'{prefix}backbone.cells.{match[1]}.preprocess.{match[2]}'
    match = re.match(r'cells\.(\d+)\.denoseblock\.filterblock\.1\.(.*)$', key)
    if match:
        return f'{prefix}backbone.cells.{match[1]}.denoise.norm.{match[2]}'
    match = re.match(r'cells\.(\d+)\._ops\.(\d+)\.(.*)$', key)
    if not match:
        raise ConversionError(f'{key}: not a key of the official ABanditNAS NetworkCIFAR')
    cell, node, rest = int(match[1]), int(match[2]), match[3]
    kind = 'abcdef'[kinds[cell]]
    op, source = genotype[kind][node]
    if op.startswith('sep_conv'):
        rest = re.sub(r'^net\.0\.net\.', 'depthwise.', rest)
        rest = re.sub(r'^net\.1\.net\.', 'full.', rest)
    elif op in ('gab_filt_3x3', 'dtp_blok_3x3'):
        if rest.startswith('filter.'):
            return None  # the same module as filterblock.0
        rest = re.sub(r'^filterblock\.1\.', 'norm.', rest)
        match = re.match(r'^filterblock\.0\.(\w+)$', rest)
        if match:
            rest = 'filter.' + GABOR.get(match[1], match[1])
    return (f'{prefix}backbone.cells.{cell}.nodes.{node}.route._candidates.'
            f'{kind}_n{node + 1}_p{source}._candidates.{op}.{rest}')


def convert(src: str, dst: str, arch: str) -> dict:
    import torch

    from mmlean.nas import cell_type_indices
    from mmlean.projects.abanditnas.genotypes import ABANDIT_GENOTYPES
    from mmlean.utils.model_conversion import (ConversionError, build_model, check_against_model,
                                               find_state_dict, read_official, save_converted)
    config_name, genotype_name = ARCHS[arch]
    config = osp.join(ROOT, 'configs', 'abanditnas', config_name)
    official = find_state_dict(read_official(src), src, keys=('model', 'state_dict'))
    genotype, kinds = ABANDIT_GENOTYPES[genotype_name], cell_type_indices(LAYERS, KINDS)
    converted = {}
    for key, value in official.items():
        new = map_key(key, genotype, kinds)
        if new is not None:
            converted[new] = value
            continue
        twin = key.replace('.filter.', '.filterblock.0.')
        if twin not in official or not torch.equal(official[twin], value):
            raise ConversionError(f'{src}: {key} differs from {twin}; the official Gabor '
                                  'filter is one module registered twice')
    _, model = build_model(config)
    reference = model.state_dict()
    converted['architecture.backbone.mean'] = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    converted['architecture.backbone.std'] = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
    for key in reference:  # ReducibleMutableOP's masks: the fixed edges keep their op
        if key.endswith('.active') and key not in converted:
            converted[key] = torch.ones_like(reference[key])
    check_against_model(converted, reference, src)
    model.load_state_dict(converted, strict=True)
    return save_converted(converted, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, genotype=genotype_name))


def main(argv=None):
    from mmlean.utils.model_conversion import converter_parser, run_converter
    parser = converter_parser(
        __doc__, ARCHS, 'official checkpoint (ABANDIT_CIFAR_{1,2}.pth.tar)')
    args = parser.parse_args(argv)
    import mmlean.projects.abanditnas  # noqa: F401
    return run_converter('abanditnas_official.py', args,
                         lambda: convert(args.src, args.dst, args.arch))


if __name__ == '__main__':
    sys.exit(main())
