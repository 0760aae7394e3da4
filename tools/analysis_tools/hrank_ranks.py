"""Compute HRank's average feature-map ranks for a model and plot them.

    python tools/analysis_tools/hrank_ranks.py CONFIG [CHECKPOINT] --out ranks.json
        [--num-batches 5] [--plot ranks.png] [--split train|test] [--cfg-options k=v ...]
        [--criterion rank|l1|random] [--seed 0]

CONFIG is an HRank config (its ``model.architecture`` is ranked) or any
classifier config. The ranks are averaged over ``num-batches`` batches of the
training loader (the official code: 5 batches of 128 augmented training
images, in eval mode), per conv in the paper's order, and written as JSON for
``model.rank_file``. ``--plot`` draws the per-layer mean/min/max rank (PNG).

``--criterion l1`` (filter L1 norms, Li et al. 2017) or ``random`` (seeded by
``--seed``) writes the baselines' scores in the same format instead, so the same
HRank config prunes the same number of filters by another choice (no data read).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='weights of the unpruned model')
    parser.add_argument('--out', required=True, help='rank file (JSON) to write')
    parser.add_argument('--num-batches', type=int, default=5)
    parser.add_argument('--split', choices=['train', 'test'], default='train',
                        help="loader to rank on (official: the training loader)")
    parser.add_argument('--plot', help='also draw the ranks to this PNG')
    parser.add_argument('--criterion', choices=['rank', 'l1', 'random'], default='rank',
                        help="filter score: HRank's feature-map rank (default), the "
                        "filters' L1 norms, or uniform random scores")
    parser.add_argument('--seed', type=int, default=0, help='seed of --criterion random')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys (see tools/train.py), e.g. '
                        'train_dataloader.batch_size=64')
    return parser.parse_args(argv)


def plot_ranks(ranks, path, title, ylabel='average feature-map rank'):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = list(ranks)
    mean = [float(ranks[n].mean()) for n in names]
    low = [float(ranks[n].min()) for n in names]
    high = [float(ranks[n].max()) for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.22 * len(names) + 2), 4))
    x = range(len(names))
    ax.fill_between(x, low, high, alpha=0.25, label='min-max over filters')
    ax.plot(x, mean, marker='o', ms=3, label='mean over filters')
    ax.set_xticks(list(x))
    ax.set_xticklabels([n.replace('backbone.', '') for n in names], rotation=90, fontsize=6)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)

    import mmlean  # noqa: F401
    from mmlean.utils.config import ConfigError, load_config
    from mmlean.utils.dataset_check import check_dataset_paths
    loader_key = f'{args.split}_dataloader'
    try:
        cfg = load_config(args.config, args.cfg_options)
        if args.checkpoint and not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint not found: {args.checkpoint}')
        if cfg.get(loader_key) is None:
            raise ConfigError(f'{args.config} has no {loader_key}')
        check_dataset_paths(cfg, args.config, (loader_key, ))
    except ConfigError as err:
        print(f'hrank_ranks.py: error: {err}', file=sys.stderr)
        return 2
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint

    import mmlean.projects.hrank  # noqa: F401
    from mmlean.projects.hrank import collect_ranks, prune_units, save_ranks
    from mmlean.projects.hrank.algorithm import HRank
    from mmlean.projects.hrank.criteria import filter_l1_scores, random_scores
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmengine.registry import MODELS
    model = MODELS.build(cfg.model)
    # an unpruned classifier checkpoint loads into the architecture; without
    # one, the architecture's own init_cfg (e.g. Pretrained) is used
    target = getattr(model, 'architecture', model)
    if args.checkpoint:
        load_checkpoint(target, args.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    units = model.units if isinstance(model, HRank) else prune_units(
        getattr(model, 'architecture', model))
    prefix = 'architecture.' if hasattr(model, 'architecture') else ''
    layers = {u.conv: prefix + u.rank_layer for u in units}
    select = {u.conv: u.rank_fn for u in units if u.rank_fn is not None}
    meta = dict(config=args.config, checkpoint=args.checkpoint or cfg.get('pretrained'),
                criterion=args.criterion)
    if args.criterion == 'rank':
        loader = Runner.build_dataloader(cfg[loader_key])

        def forward(batch):
            data = model.data_preprocessor(batch, False)
            model(data['inputs'], data.get('data_samples'), mode='tensor')

        ranks = collect_ranks(model, loader, layers, forward, args.num_batches, select)
        meta.update(num_batches=args.num_batches, split=args.split)
    elif args.criterion == 'l1':
        ranks = filter_l1_scores(target, [u.conv for u in units])
    else:
        ranks = random_scores(target, [u.conv for u in units], args.seed)
        meta.update(seed=args.seed)
    save_ranks(ranks, args.out, meta=meta)
    print(f'wrote the {args.criterion} scores of {len(ranks)} convs to {args.out}')
    if args.plot:
        ylabel = {'rank': 'average feature-map rank', 'l1': 'filter L1 norm',
                  'random': 'random score'}[args.criterion]
        plot_ranks(ranks, args.plot, osp.basename(args.config), ylabel)
        print(f'plot: {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
