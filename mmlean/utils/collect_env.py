"""Print the versions of the stack and the state of the compiled ops.

    python -m mmlean.utils.collect_env [--short]
"""
import argparse
import importlib
import platform
import sys
from collections import OrderedDict


def _version(name):
    try:
        module = importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - report, never crash
        return f'not importable ({type(err).__name__}: {err})'
    return getattr(module, '__version__', 'unknown')


def collect_env(short: bool = False) -> 'OrderedDict[str, str]':
    """Versions of python, torch, numpy, the OpenMMLab codebases and mmlean."""
    import torch

    import mmlean
    env = OrderedDict()
    env['python'] = sys.version.split()[0]
    env['platform'] = platform.platform()
    env['torch'] = torch.__version__
    env['torch CUDA'] = f'{torch.version.cuda} (available: {torch.cuda.is_available()})'
    for name in ('numpy', 'mmengine', 'mmcv', 'mmdet', 'mmpretrain', 'mmrazor', 'mmagic'):
        env[name] = _version(name)
    try:
        importlib.import_module('mmcv._ext')
        env['mmcv._ext'] = 'yes'
    except Exception as err:  # noqa: BLE001
        env['mmcv._ext'] = f'no ({err})'
    env['mmlean'] = mmlean.__version__
    from mmlean.utils.ext_loader import load_ext
    ext = load_ext('_ext', [])
    if ext is None:
        env['mmlean._ext'] = 'not built (pure-PyTorch references are used)'
    else:
        env['mmlean._ext'] = (f'built, CUDA kernels: {ext.built_with_cuda()}, '
                              f'CPU path: {ext.cpu_isa()} '
                              f'(CPU supports {ext.cpu_isa_detected()})')
    env['mmlean.compat'] = (', '.join(k for k, v in mmlean.compat.applied().items() if v)
                            or 'nothing needed')
    if not short:
        env['torch threads'] = str(torch.get_num_threads())
        env['torch config'] = torch.__config__.show()
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--short', action='store_true', help='one line per package')
    args = parser.parse_args(argv)
    for key, value in collect_env(args.short).items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    main()
