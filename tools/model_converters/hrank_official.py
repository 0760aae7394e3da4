"""Convert HRank's released models (github.com/lmbxmu/HRank, HRankPlus) into mmlean checkpoints.

    python tools/model_converters/hrank_official.py SRC DST --arch ARCH [--pruned]

ARCH and the config the result loads into:

    vgg16       configs/hrank/vgg16_1xb128-300e_cifar10.py
    resnet56    configs/hrank/resnet56_1xb128-300e_cifar10.py
    resnet110   configs/hrank/resnet110_1xb128-300e_cifar10.py
    densenet40  configs/hrank/densenet40_1xb64-300e_cifar10.py
    googlenet   configs/hrank/googlenet_1xb128-300e_cifar10.py
    resnet50    configs/hrank/resnet50_official-eval_in1k.py

Without ``--pruned``, SRC is an unpruned baseline (``{'state_dict': ...}`` on CIFAR-10, a
bare torchvision-style state dict for ResNet-50) or one of HRank's pruned checkpoints,
which keep the full shapes with the pruned filters zeroed: DST is a classifier checkpoint
for ``tools/test.py CONFIG DST``, and the ``pretrained`` an HRank config starts from
(``--cfg-options pretrained=DST``: HRank then prunes the paper's starting model).

With ``--pruned``, SRC is a physically pruned HRankPlus model (CIFAR-10 VGG-16, ResNet-56,
ResNet-110; its channel counts are read from the file's shapes): DST is an
``hrank_export.py`` file (``{'state_dict', 'kept'}``) for the matching
``configs/hrank/hrank_*`` config, which ``mmlean.projects.hrank.load_pruned`` rebuilds.

Key mapping (HRank models/*.py): a DataParallel ``module.`` prefix is removed; the
classifier (``fc`` or ``linear``) -> ``head.fc``, the rest under ``backbone`` with the same
names, except VGG-16, whose ``features.conv{i}`` / ``features.norm{i}`` are numbered by the
position in its layer list (pools counted) and go to the conv / BN of mmlean's
``features`` Sequential, and whose ``classifier.{linear1,norm1,linear2}`` go to
``head.layers.{0.fc,0.norm,1.fc}``. Missing ``num_batches_tracked`` (old torchvision
files) are filled with 0.
"""
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHS = {'vgg16': 'vgg16_1xb128-300e_cifar10.py',
         'resnet56': 'resnet56_1xb128-300e_cifar10.py',
         'resnet110': 'resnet110_1xb128-300e_cifar10.py',
         'densenet40': 'densenet40_1xb64-300e_cifar10.py',
         'googlenet': 'googlenet_1xb128-300e_cifar10.py',
         'resnet50': 'resnet50_official-eval_in1k.py'}
PRUNING_CONFIGS = {'vgg16': 'hrank_vgg16_1xb128-layerwise-30e_cifar10.py',
                   'resnet56': 'hrank_resnet56_1xb128-layerwise-30e_cifar10.py',
                   'resnet110': 'hrank_resnet110_1xb128-layerwise-30e_cifar10.py'}
# official vgg_16_bn cfg [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M',
# 512, 512, 512]: conv index i (pools counted) -> mmlean features position (conv, BN, ReLU
# per conv, one pool entry)
VGG_FEATURES = {0: 0, 1: 3, 3: 7, 4: 10, 6: 14, 7: 17, 8: 20, 10: 24, 11: 27, 12: 30, 14: 34,
                15: 37, 16: 40}
VGG_HEAD = {'linear1': 'head.layers.0.fc', 'norm1': 'head.layers.0.norm',
            'linear2': 'head.layers.1.fc'}


def map_key(key: str, arch: str) -> str:
    """The mmlean classifier key of an official key (without ``module.``)."""
    from mmlean.utils.model_conversion import ConversionError
    if arch == 'vgg16':
        match = re.match(r'features\.(conv|norm)(\d+)\.(.*)$', key)
        if match:
            kind, index, rest = match[1], int(match[2]), match[3]
            if index not in VGG_FEATURES:
                raise ConversionError(f'{key}: not a conv of the official vgg_16_bn')
            return f'backbone.features.{VGG_FEATURES[index] + (kind == "norm")}.{rest}'
        match = re.match(r'classifier\.(\w+)\.(.*)$', key)
        if match and match[1] in VGG_HEAD:
            return f'{VGG_HEAD[match[1]]}.{match[2]}'
        raise ConversionError(f'{key}: not a key of the official vgg_16_bn')
    for head in ('fc.', 'linear.'):
        if key.startswith(head):
            return 'head.fc.' + key[len(head):]
    return 'backbone.' + key


def _official_state(src):
    from mmlean.utils.model_conversion import find_state_dict, read_official
    return find_state_dict(read_official(src), src)


def _fill_batch_counters(converted, reference):
    import torch
    added = [k for k in reference if k.endswith('num_batches_tracked') and k not in converted]
    for key in added:
        converted[key] = torch.zeros_like(reference[key])
    return len(added)


def convert(src: str, dst: str, arch: str) -> dict:
    """A baseline or an HRank (zero-masked) checkpoint -> a classifier checkpoint."""
    from mmlean.utils.model_conversion import build_model, check_against_model, save_converted
    config = osp.join(ROOT, 'configs', 'hrank', ARCHS[arch])
    converted = {map_key(k, arch): v for k, v in _official_state(src).items()}
    _, model = build_model(config)
    reference = model.state_dict()
    filled = _fill_batch_counters(converted, reference)
    check_against_model(converted, reference, src)
    model.load_state_dict(converted, strict=True)
    return save_converted(converted, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, filled_num_batches_tracked=filled))


def convert_pruned(src: str, dst: str, arch: str) -> dict:
    """A physically pruned HRankPlus model -> an hrank_export.py file for its HRank config."""
    from mmlean.utils.model_conversion import (ConversionError, build_model, check_against_model,
                                               save_converted)
    if arch not in PRUNING_CONFIGS:
        raise ConversionError(f'--pruned supports {sorted(PRUNING_CONFIGS)}, not {arch}')
    official = {map_key(k, arch): v for k, v in _official_state(src).items()}
    config = osp.join(ROOT, 'configs', 'hrank', PRUNING_CONFIGS[arch])
    options = {'model.architecture.init_cfg': None}
    if arch.startswith('resnet'):
        # HRankPlus prunes the stem and the stage outputs too: build those widths
        options['model.architecture.backbone.stem_channels'] = int(
            official['backbone.conv1.weight'].shape[0])
        options['model.architecture.backbone.stage_channels'] = tuple(
            int(official[f'backbone.layer{s}.0.conv2.weight'].shape[0]) for s in (1, 2, 3))
    _, algorithm = build_model(config, options)
    kept = {}
    for group in algorithm.groups:
        name = 'backbone.' + group.convs[0] if not group.convs[0].startswith('backbone.') \
            else group.convs[0]
        weight = official.get(f'{name}.weight')
        if weight is None:
            raise ConversionError(f'{src}: no weight for the pruned layer {name}')
        if weight.shape[0] > group.channels:
            raise ConversionError(f'{src}: {name} has {weight.shape[0]} filters, more than the '
                                  f'{group.channels} this config builds')
        kept[group.convs[0]] = list(range(int(weight.shape[0])))
    import torch
    for i, group in enumerate(algorithm.groups):
        mask = torch.zeros(group.channels, dtype=torch.bool)
        mask[kept[group.convs[0]]] = True
        getattr(algorithm, f'kept_mask_{i}').copy_(mask)
    algorithm.hrank_prepared.fill_(True)
    algorithm.set_active(len(algorithm.groups))
    pruned = algorithm.export()
    reference = pruned.state_dict()
    filled = _fill_batch_counters(official, reference)
    check_against_model(official, reference, src)
    pruned.load_state_dict(official, strict=True)
    # the hrank_export.py layout, {'state_dict', 'kept'}, with the meta alongside
    return save_converted(official, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, pruned=True, filled_num_batches_tracked=filled),
                          entries=dict(kept=kept))


def main(argv=None):
    from mmlean.utils.model_conversion import converter_parser, run_converter
    parser = converter_parser(__doc__, ARCHS, 'official checkpoint')
    parser.add_argument('--pruned', action='store_true',
                        help='SRC is a physically pruned HRankPlus model')
    args = parser.parse_args(argv)
    import mmlean.projects.hrank  # noqa: F401
    convert_file = convert_pruned if args.pruned else convert
    return run_converter('hrank_official.py', args,
                         lambda: convert_file(args.src, args.dst, args.arch))


if __name__ == '__main__':
    sys.exit(main())
