"""Convert a released RBNN checkpoint (github.com/lmbxmu/RBNN) into an mmlean checkpoint.

    python tools/model_converters/rbnn_official.py SRC DST --arch ARCH

SRC is an official ``checkpoint.pth.tar`` / ``model_best.pth.tar`` (``state_dict``,
``epoch``, ``best_prec1`` and a pickled list of the Parameters, which is ignored);
ARCH names the network and the mmlean config it loads into:

    resnet20           configs/rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py
    resnet20-bireal    configs/rbnn/rbnn_resnet20-bireal-1w1a_1xb256-1000e_cifar10.py
    resnet18           configs/rbnn/rbnn_resnet18-1w1a_1xb256-1000e_cifar10.py
    vgg-small          configs/rbnn/rbnn_vgg-small-1w1a_1xb256-1000e_cifar10.py
    resnet18-imagenet  configs/rbnn/rbnn_resnet18-bireal-1w1a_4xb128-150e_in1k.py
    resnet34-imagenet  configs/rbnn/rbnn_resnet34-bireal-1w1a_4xb128-150e_in1k.py

(The file's ``model`` string does not tell ResNet-20 from its Bi-Real variant: before
2020-09-07 the official ``resnet20_1w1a`` was the Bi-Real network, with the same keys.
Take ARCH from where the file was published.) Then evaluate with
``tools/test.py CONFIG DST``, or deploy with ``tools/deployment/binary_deploy.py``.

Key mapping (official models_cifar/ and models_imagenet/, binarized_modules.py):
each binary conv's ``alpha`` -> ``scale`` and ``rotate`` -> ``rotate_angle`` (same shapes;
``R1``/``R2`` and ``weight`` unchanged); ResNets: ``bn2`` (the BatchNorm1d before the
classifier) -> ``neck.bn``, ``linear``/``fc`` -> ``head.fc``, ImageNet ``downsample`` ->
``shortcut``, the rest under ``backbone``; VGG-small's numbered convs and BNs -> the
``features`` Sequential; all under ``architecture``. Dropped: the ImageNet ``bn3`` (built
but never used by the official forward).
"""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHS = {
    'resnet20': 'rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py',
    'resnet20-bireal': 'rbnn_resnet20-bireal-1w1a_1xb256-1000e_cifar10.py',
    'resnet18': 'rbnn_resnet18-1w1a_1xb256-1000e_cifar10.py',
    'vgg-small': 'rbnn_vgg-small-1w1a_1xb256-1000e_cifar10.py',
    'resnet18-imagenet': 'rbnn_resnet18-bireal-1w1a_4xb128-150e_in1k.py',
    'resnet34-imagenet': 'rbnn_resnet34-bireal-1w1a_4xb128-150e_in1k.py',
}
# official VGG_SMALL_1W1A module -> index in mmlean's VGGSmall.features
VGG_SMALL = {'conv0': 0, 'bn0': 1, 'conv1': 3, 'bn1': 5, 'conv2': 7, 'bn2': 8, 'conv3': 10,
             'bn3': 12, 'conv4': 14, 'bn4': 15, 'conv5': 17, 'bn5': 19}
RENAMES = {'alpha': 'scale', 'rotate': 'rotate_angle'}


def map_key(key: str, arch: str):
    """The mmlean key of an official key, or None for a key that is dropped."""
    from mmlean.utils.model_conversion import ConversionError
    parts = key.split('.')
    if parts[-1] in ('k', 't'):
        raise ConversionError(
            f'{key}: this file has the k/t buffers of RBNN code older than 2020-05-06, whose '
            'binary activations were not standardized per sample; the mmlean configs '
            'follow the released code (see projects/rbnn/README.md)')
    if arch.endswith('imagenet') and parts[0] == 'bn3':
        return None
    parts[-1] = RENAMES.get(parts[-1], parts[-1])
    if arch == 'vgg-small':
        if parts[0] == 'fc':
            return 'architecture.head.' + '.'.join(parts)
        if parts[0] not in VGG_SMALL:
            raise ConversionError(f'{key}: not a layer of the official VGG-small')
        return f'architecture.backbone.features.{VGG_SMALL[parts[0]]}.' + '.'.join(parts[1:])
    if parts[0] == 'bn2':
        return 'architecture.neck.bn.' + '.'.join(parts[1:])
    if parts[0] in ('linear', 'fc'):
        return 'architecture.head.fc.' + '.'.join(parts[1:])
    return 'architecture.backbone.' + '.'.join(
        'shortcut' if p == 'downsample' else p for p in parts)


def convert(src: str, dst: str, arch: str) -> dict:
    """Convert ``src`` for ``arch``; returns the written checkpoint's meta."""
    from mmlean.utils.model_conversion import (build_model, check_against_model, find_state_dict,
                                               read_official, save_converted)
    config = osp.join(ROOT, 'configs', 'rbnn', ARCHS[arch])
    raw = read_official(src)
    official = find_state_dict(raw, src, keys=('state_dict', ))
    converted = {}
    for key, value in official.items():
        new = map_key(key, arch)
        if new is not None:
            converted[new] = value
    _, model = build_model(config)
    check_against_model(converted, model.state_dict(), src)
    model.load_state_dict(converted, strict=True)
    extra = {k: raw[k] for k in ('epoch', 'best_prec1', 'best_prec5', 'model')
             if isinstance(raw, dict) and isinstance(raw.get(k), (int, float, str))}
    return save_converted(converted, dst, src, osp.relpath(config, ROOT),
                          dict(arch=arch, official=extra))


def main(argv=None):
    from mmlean.utils.model_conversion import converter_parser, run_converter
    parser = converter_parser(__doc__, ARCHS, 'official checkpoint (.pth.tar)')
    args = parser.parse_args(argv)
    return run_converter('rbnn_official.py', args, lambda: convert(args.src, args.dst, args.arch))


if __name__ == '__main__':
    sys.exit(main())
