"""Parameter counts of NAS evaluation networks (auxiliary head excluded, as DARTS/BNAS).

    python tools/analysis_tools/nas_params.py CONFIG [CONFIG ...] [--cfg-options K=V ...]

Builds each config's model on the CPU (random weights) and prints the
parameters without the auxiliary head, in millions (/1e6, as DARTS prints
them) and in BNAS's official unit (/2**20, ``utils/utils.py`` ``param_size``),
and the auxiliary head's parameters.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def build(config: str, cfg_options=None):
    import importlib

    from mmengine.registry import init_default_scope

    from mmlean.utils.config import load_config
    cfg = load_config(config, cfg_options)
    scope = cfg.get('default_scope', 'mmpretrain')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry' if scope != 'mmengine'
                                       else 'mmengine.registry')
    return registry.MODELS.build(cfg.model)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='KEY=VALUE overrides (python literals), as tools/train.py')
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)
    import ast
    import logging

    from mmengine.logging import MMLogger

    import mmlean  # noqa: F401
    from mmlean.nas.params import count_parameters
    from mmlean.utils.config import ConfigError
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no init_weights report
    options = {}
    for item in args.cfg_options:
        key, _, value = item.partition('=')
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    print(f'{"config":60s} {"params":>10s} {"M (1e6)":>8s} {"BNAS M (2^20)":>13s} '
          f'{"aux head":>9s}')
    for config in args.configs:
        try:
            counts = count_parameters(build(config, options or None))
        except ConfigError as err:
            sys.exit(f'error: {err}')
        n = counts['params']
        print(f'{osp.basename(config):60s} {n:10d} {n / 1e6:8.3f} {n / 2**20:13.3f} '
              f'{counts["aux_params"]:9d}')


if __name__ == '__main__':
    main()
