"""The evidence campaign: each paper's claim against its baseline on an embedded proxy, 3+ seeds.

    python tools/analysis_tools/evidence.py [--rows rbnn] [--methods RBNN,...] [--seeds 0,1,2]
        [--jobs 2] [--out work_dirs/evidence]
    python tools/analysis_tools/evidence.py --report [--out work_dirs/evidence]

Every run is ``tools/train.py CONFIG --cfg-options randomness.seed=S`` followed by
``tools/test.py`` on its last checkpoint, on the digits-on-photos proxy
(:class:`mmlean.datasets.DigitsOnPhotosDataset`: a full-precision ResNet-20 does not
saturate it), with the same schedule and budget on both sides of a comparison. A
finished run leaves ``<out>/<row>/<method>_s<seed>/result.json`` and is skipped when
the command is run again, so a stopped campaign resumes. A method may start from
another method's checkpoint of the same seed (``start``: the pruning methods start
from the unpruned network, also one of another row: CoGD's pruning starts from the
HRank row's) and choose its filters with a score file written by
``tools/analysis_tools/hrank_ranks.py --criterion`` (``scores``); its start runs
first, and is run too when only the method is asked for. A ``script`` method is one
command that trains and evaluates (CoGD's ``tools/cogd/prune_compare.py``, one
variant per run); it is not resumable (a stopped run starts again). ``--jobs 2`` runs two
trainings at once, one thread each. The report (``<out>/report.md``, ``.json`` and
``.png``) gives each method's test metric (top-1 accuracy; count MAE for NAS-Count)
as mean +- sample std over the seeds and the paired difference to its baseline (the
row's, or the one a method names);
no verdict is printed beyond what the spread allows: a paired t-test over the seeds
(two-sided, 5%) decides between "within the spread" and "better" / "worse" (which
follows the metric's direction), and its p-value is printed.
A row that needs a generated data set (NAS-Count's synthetic crowds) writes it first.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# row -> the paper's claim, the baseline it names, and the methods (label -> config)
ROWS = {
    'rbnn': dict(
        claim='RBNN (NeurIPS 2020, Tab. 1): rotation + training-aware sign give a better '
              '1-bit ResNet-20 than earlier sign-based binarization (CIFAR-10 W1A1 86.5%, '
              'FP 91.7%)',
        baseline='sign/STE, learned scale',
        # the 1-bit twins start from the FP32 run of their seed: from scratch, none of
        # them leaves chance on this proxy (see configs/rbnn/rbnn_resnet20-1w1a-from-fp_*)
        methods={
            'FP32 (reference)': 'configs/rbnn/resnet20-fp_1xb64-40e_digits-on-photos.py',
            **{label: dict(config=f'configs/rbnn/{prefix}_resnet20-1w1a-from-fp_1xb64-20e_'
                                  'digits-on-photos.py', start='FP32 (reference)')
               for label, prefix in (('sign/STE, learned scale', 'bnn'),
                                     ('XNOR-style, scalar mean(|W|)', 'xnor'),
                                     ('RBNN', 'rbnn'))},
            # a diagnostic, not in the paper: RBNN diverges here once t >= ~3.5 (the
            # gradient norm grows with t); does it hold its accuracy with the norm bounded?
            'RBNN, gradient norm clipped at 10 (not in the paper)': dict(
                config='configs/rbnn/rbnn_resnet20-1w1a-from-fp-clip10_1xb64-20e_'
                       'digits-on-photos.py', start='FP32 (reference)'),
        }),
    'hrank': dict(
        claim='HRank (CVPR 2020, §3): filters whose feature maps have a low average rank '
              'carry less information, so pruning them keeps more accuracy than earlier '
              'criteria such as the L1 norm (Li et al. 2017, a baseline of its CIFAR-10 '
              'tables) at a similar FLOPs cut (ResNet-56 at -50% FLOPs: 93.17%, unpruned '
              '93.26%)',
        baseline='L1-norm filters',
        methods={
            'unpruned ResNet-20 (reference)':
                'configs/hrank/resnet20_1xb64-30e_digits-on-photos.py',
            **{label: dict(config='configs/hrank/hrank_resnet20_1xb64-12e_digits-on-photos.py',
                           scores=criterion, start='unpruned ResNet-20 (reference)')
               for label, criterion in (('HRank (feature-map rank)', 'rank'),
                                        ('L1-norm filters', 'l1'),
                                        ('random filters', 'random'))},
        }),
    'nascount': dict(
        claim='NAS-Count (ECCV 2020, §3.3): the Scale Pyramid Pooling Loss (MSE on the '
              'density map and on a pyramid of its pooled maps, pooling searched) trains a '
              'better counter than the plain pixel-wise MSE and its "pixel-level isolation" '
              '(ShanghaiTech A, AMSNet + SPPLoss: MAE 56.7, MSE 93.4); and (Tab. 2-5) the '
              'searched AMSNet counts better than hand-designed CSRNet (ShanghaiTech A MAE '
              '68.2)',
        baseline='AMSNet, plain MSE',
        metric='count/MAE', lower_is_better=True,
        # 3 seeds were inconclusive (p = 0.15) and a run costs minutes
        seeds=(0, 1, 2, 3, 4),
        data=('data/synthetic_crowd',
              ['tools/nascount/synthetic_crowd.py', '--out', 'data/synthetic_crowd']),
        methods={
            'AMSNet, SPPLoss (searched pooling)':
                'configs/nascount/nascount_amsnet-searched_1xb8-40e_synthetic-crowd.py',
            # the architecture comparison: both with the plain MSE loss, same budget
            'AMSNet, plain MSE': dict(
                config='configs/nascount/nascount_amsnet-searched-mse_1xb8-40e_'
                       'synthetic-crowd.py',
                baseline='CSRNet (VGG-16-BN), plain MSE'),
            'CSRNet (VGG-16-BN), plain MSE': dict(
                config='configs/nascount/csrnet_vgg16-bn_1xb8-40e_synthetic-crowd.py',
                baseline='CSRNet (VGG-16-BN), plain MSE'),  # a baseline only
        }),
}
COGD_COMPARE = ['tools/cogd/prune_compare.py',
                '--config', 'configs/cogd/cogd_resnet20_1xb64-4e_digits-on-photos.py',
                '--sgd-config', 'configs/cogd/softmask-sgd_resnet20_1xb64-4e_digits-on-photos.py',
                '--mask-epochs', '4', '--ft-epochs', '8']
ROWS['cogd'] = dict(
    claim='CoGD (CVPR 2020, §4 network pruning): coupling the sparse masks with the '
          'filters they gate (the correction on filters whose mask reached 0) prunes a '
          'network with less accuracy loss than training the same GAL-style soft masks '
          'without it (CIFAR-10 ResNet-18 and ResNet-56 against GAL)',
    baseline='proximal SGD (no coupling)',
    # the unpruned networks are the HRank row's (same config, same seeds)
    methods={label: dict(script=[*COGD_COMPARE, '--variants', variant], value='finetuned_acc',
                         start=('hrank', 'unpruned ResNet-20 (reference)'))
             for label, variant in (('CoGD', 'CoGD'),
                                    ('proximal SGD (no coupling)', 'prox-SGD'),
                                    ('SGD, l1 in the loss', 'SGD'))})


def _nas_row(search, retrain, searched, claim, space='darts',
             keys=('model.fix_subnet', ), pcdarts=True):
    """A NAS row: the searched cell, three random cells of the space (one per seed, drawn
    under the derivation rule) and, for the DARTS space, PC-DARTS (the same search with
    the reduction off), all retrained with ``retrain``."""
    methods = {searched: dict(config=retrain, subnet=dict(search=search), subnet_keys=keys),
               'random cell (one per seed)': dict(config=retrain, subnet=dict(random=space),
                                                  subnet_keys=keys)}
    if pcdarts:  # the warm-ups are the same steps: PC-DARTS continues the searched one's
        methods['PC-DARTS (the same search, reduction off)'] = dict(
            config=retrain, subnet=dict(search=search, options=['train_cfg.reduction=False'],
                                        continue_from=searched),
            subnet_keys=keys)
    return dict(claim=claim, baseline='random cell (one per seed)',
                methods=methods)


BNAS_PHOTOS = 'configs/bnas/bnas_xnor-{}_digits-on-photos16.py'
ROWS['bnas-w1a32'] = _nas_row(
    BNAS_PHOTOS.format('w1a32_supernet-c16-l5_1xb64-search'),
    BNAS_PHOTOS.format('c16l5-w1a32_1xb64-15e'), 'BNAS searched cell (W1A32)',
    claim='BNAS (AAAI 2020, abstract and §3): the performance-based reduction of a '
          'binarized DARTS space finds 1-bit-weight cells as good as a gradient search '
          '(PC-DARTS) in 40% less search time, and better than the space offers at random '
          '(CIFAR-10, best binarized model 96.53%; full-precision PC-DARTS 97.22%)')
ROWS['bnas-w1a1'] = _nas_row(
    BNAS_PHOTOS.format('w1a1-ucb_supernet-c16-l5_1xb64-search'),
    BNAS_PHOTOS.format('c16l5-w1a1_1xb64-15e'), 'BNAS searched cell (W1A1, UCB)',
    claim='BNAS (IJCV 2021 extension, abstract): with 1-bit weights and activations the '
          'UCB term keeps the reduction stable, so it still finds cells better than random '
          'ones of the space and than PC-DARTS\'s')
ROWS['cpnas'] = dict(
    claim='CP-NAS (IJCAI 2020, §3): scoring the 1-bit child\'s paths with its '
          'full-precision parent (z = beta_P (A_P - A_C) + A_C) selects better W1A1 cells '
          'than BNAS\'s child-only selection on the same supernet (CIFAR-10 W1A1: 95.27%)',
    baseline='BNAS 1-bit search (child accuracy only)',
    methods={
        'CP-NAS searched cell': dict(
            config='configs/cpnas/cpnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py',
            subnet=dict(search='configs/cpnas/cpnas_xnor-w1a1_supernet-c16-l5_1xb64-search_'
                               'digits-on-photos16.py'),
            subnet_keys=('model.architecture.fix_subnet', 'model.parent.fix_subnet')),
        # the same retraining (child beside its parent) for the cell BNAS's W1A1 row searched
        'BNAS 1-bit search (child accuracy only)': dict(
            config='configs/cpnas/cpnas_xnor-c16l5-w1a1_1xb64-15e_digits-on-photos16.py',
            subnet=dict(of=('bnas-w1a1', 'BNAS searched cell (W1A1, UCB)')),
            subnet_keys=('model.architecture.fix_subnet', 'model.parent.fix_subnet')),
    })
ROWS['abanditnas'] = dict(
    _nas_row('configs/abanditnas/abanditnas_supernet-c8-l6_1xb64-search_digits-on-photos16.py',
             'configs/abanditnas/abanditnas_c8l6-pgd7_1xb64-15e_digits-on-photos16.py',
             'ABanditNAS searched cells', space='abandit', pcdarts=False,
             keys=('model.architecture.fix_subnet', ),
             claim='ABanditNAS (ECCV 2020, §3-4): the anti-bandit search over a space of '
                   'robust operations (Gabor, denoising blocks) finds cells that, trained '
                   'with PGD-7, resist attacks better than earlier robust networks '
                   '(abstract: +8.73 points under PGD-7 on CIFAR-10; ABanditNAS-10 PGD-7 '
                   '58.74%, PGD-20 50.51%)'),
    metric='robust/PGD-20')
ROW_DEFAULTS = dict(metric='accuracy/top1', lower_is_better=False, data=None, seeds=(0, 1, 2))


def row_spec(row):
    """A row of ROWS with its defaults: the metric (and its direction), the data it needs."""
    return dict(ROW_DEFAULTS, **ROWS[row])


def method_spec(spec):
    """A method's config string or dict -> dict(config, scores, start, baseline, script,
    value).

    ``baseline`` (optional) names the method this one is compared with when it is not
    the row's baseline (a row may hold two comparisons, e.g. NAS-Count's loss and
    architecture). ``start`` is a method of the same row or a ``(row, method)`` pair.
    A ``script`` method runs ``python <script...> --seeds S --out <work_dir>
    [--pretrained <start checkpoint>]`` instead of train/test and takes ``value`` from
    the first row of the ``results.json`` it writes (CoGD's pruning comparison).
    A NAS method retrains a cell (``config`` is the retraining config, the cell goes to
    each of ``subnet_keys``): ``subnet=dict(search=CONFIG, options=[...])`` searches it
    first with the run's seed (in ``<work_dir>/search``), ``dict(random=SPACE)`` draws
    the seed's random cell of the space (tools/analysis_tools/nas_random_cells.py) and
    ``dict(of=(ROW, METHOD))`` takes the cell that METHOD of ROW searched with the same
    seed. ``continue_from=METHOD`` (in a ``search`` dict) starts the search from the
    warm-up end of METHOD's search of the same row and seed, the checkpoint its config's
    ``KeepCheckpointHook`` keeps at epoch ``train_cfg.warmup_epochs``: sound where both
    searches run the same warm-up steps (BNAS and PC-DARTS, which differ only after it),
    and bit-identical to running them again (``--resume`` is, see ``RNGStateHook``).
    """
    if isinstance(spec, str):
        spec = dict(config=spec)
    return dict(dict(config=None, scores=None, start=None, baseline=None, script=None,
                     value=None, subnet=None, subnet_keys=('model.fix_subnet', )), **spec)


def needs(row, label):
    """The (row, method) runs ``label`` needs finished first: its start and the run whose
    searched cell it retrains (``subnet=dict(of=...)``)."""
    spec = method_spec(ROWS[row]['methods'][label])
    found = [start_of(row, label)]
    of = (spec['subnet'] or {}).get('of')
    if of is not None:
        found.append(tuple(of))
    continue_from = (spec['subnet'] or {}).get('continue_from')
    if continue_from is not None:
        found.append((row, continue_from))
    return [n for n in found if n is not None]


def start_of(row, label):
    """The (row, method) whose checkpoint ``label`` starts from, or None."""
    start = method_spec(ROWS[row]['methods'][label])['start']
    if start is None:
        return None
    return tuple(start) if isinstance(start, (tuple, list)) else (row, start)


def baseline_of(row, label):
    """The method ``label`` is compared with: its own ``baseline``, else the row's."""
    return method_spec(ROWS[row]['methods'][label])['baseline'] or row_spec(row)['baseline']


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--rows', default=','.join(ROWS), help=f'comma-separated of {list(ROWS)}')
    p.add_argument('--methods', default=None,
                   help='comma-separated method labels (or their directory names, needed for a '
                        'label with a comma, e.g. sgd--l1-in-the-loss) to run; '
                        'default: every method of the rows')
    p.add_argument('--seeds', default=None,
                   help="comma-separated; default: each row's seeds (0,1,2; NAS-Count 0-4)")
    p.add_argument('--jobs', type=int, default=2, help='trainings at once (one thread each)')
    p.add_argument('--out', default='work_dirs/evidence')
    p.add_argument('--report', action='store_true', help='only report the finished runs')
    return p.parse_args(argv)


def _slug(label):
    return ''.join(c if c.isalnum() else '-' for c in label.lower()).strip('-')


def _work_dir(out, row, label, seed):
    return osp.join(out, row, f'{_slug(label)}_s{seed}')


def run_one(row, label, spec, seed, out):
    """Train and test one (method, seed); returns the result dict (or the kept one)."""
    spec, metric = method_spec(spec), row_spec(row)['metric']
    config, start_key = spec['config'], start_of(row, label)
    work_dir = _work_dir(out, row, label, seed)
    result_path = osp.join(work_dir, 'result.json')
    if osp.exists(result_path):
        with open(result_path) as f:
            return json.load(f)
    os.makedirs(work_dir, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    start = time.time()
    options = []
    if start_key:
        start_result = osp.join(_work_dir(out, *start_key, seed), 'result.json')
        if not osp.exists(start_result):
            raise RuntimeError(f'{label} (seed {seed}) starts from {"/".join(start_key)}, '
                               f'which has no finished run: {start_result}')
        with open(start_result) as f:
            start_checkpoint = json.load(f)['checkpoint']
        options.append(f'pretrained={start_checkpoint}')
    subnet = _prepare_subnet(spec, seed, work_dir, env, out)
    if subnet:
        options += [f'{key}={subnet}' for key in spec['subnet_keys']]
    if spec['script']:
        return _run_script(row, label, spec, seed, work_dir,
                           start_checkpoint if start_key else None, env, start)
    if spec['scores']:
        scores = osp.join(work_dir, 'scores.json')
        with open(osp.join(work_dir, 'scores.out'), 'w') as log:
            subprocess.run([sys.executable, 'tools/analysis_tools/hrank_ranks.py', config,
                            '--out', scores, '--criterion', spec['scores'], '--seed',
                            str(seed), *(['--cfg-options', *options] if options else [])],
                           cwd=REPO, env=env,
                           stdout=log, stderr=subprocess.STDOUT, check=True)
        options.append(f'model.rank_file={scores}')
    # appended: a resumed run keeps the log of its first part
    with open(osp.join(work_dir, 'train.out'), 'a') as log:
        subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
                        '--resume', '--cfg-options', f'randomness.seed={seed}', *options],
                       cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    metrics_path = osp.join(work_dir, 'test_metrics.json')
    test_options = ['--cfg-options', *options] if options else []
    with open(osp.join(work_dir, 'test.out'), 'w') as log:
        subprocess.run([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
                        work_dir, '--out', metrics_path, *test_options], cwd=REPO, env=env,
                       stdout=log, stderr=subprocess.STDOUT, check=True)
    with open(metrics_path) as f:
        metrics = json.load(f)
    result = dict(row=row, method=label, config=config, seed=seed, metric=metric,
                  value=float(metrics[metric]), checkpoint=checkpoint,
                  minutes=(time.time() - start) / 60)
    if spec['scores']:
        result.update(scores=spec['scores'], start=spec['start'])
    if subnet:
        result.update(subnet=subnet, subnet_from=dict(spec['subnet']))
    return _keep(result, result_path)


def _prepare_subnet(spec, seed, work_dir, env, out):
    """The fix_subnet YAML a NAS method retrains (searched, drawn or another method's), or
    None for a method without one."""
    how = spec['subnet']
    if not how:
        return None
    if 'of' in how:
        of = tuple(how['of'])
        path = osp.join(_work_dir(out, *of, seed), 'result.json')
        if not osp.exists(path):
            raise RuntimeError(f'the cell of {"/".join(of)} (seed {seed}) is not there yet: '
                               f'{path}')
        with open(path) as f:
            return json.load(f)['subnet']
    if 'random' in how:
        path = osp.join(work_dir, 'fix_subnet.yaml')
        if not osp.exists(path):
            subprocess.run([sys.executable, 'tools/analysis_tools/nas_random_cells.py',
                            how['random'], '--seed', str(seed), '--out', path], cwd=REPO,
                           env=env, stdout=subprocess.DEVNULL, check=True)
        return path
    search_dir = osp.join(work_dir, 'search')
    path, done = osp.join(search_dir, 'fix_subnet.yaml'), osp.join(search_dir, 'done')
    if not osp.exists(done):
        os.makedirs(search_dir, exist_ok=True)
        started = osp.exists(osp.join(search_dir, 'last_checkpoint'))
        if how.get('continue_from') and not started:
            _continue_search(how, seed, work_dir, search_dir, out)
        with open(osp.join(search_dir, 'search.out'), 'a') as log:
            subprocess.run([sys.executable, 'tools/train.py', how['search'], '--work-dir',
                            search_dir, '--resume', '--cfg-options', f'randomness.seed={seed}',
                            *how.get('options', ())], cwd=REPO, env=env, stdout=log,
                           stderr=subprocess.STDOUT, check=True)
        if not osp.exists(path):
            raise RuntimeError(f'the search {how["search"]} wrote no {path}')
        open(done, 'w').close()
    return path


def warmup_checkpoint_epoch(search_config):
    """The epoch at which ``search_config`` keeps its warm-up end (``KeepCheckpointHook``
    at ``train_cfg.warmup_epochs``); a clear error when it keeps none."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, search_config))
    warmup = int(cfg.train_cfg.get('warmup_epochs', 0))
    kept = [int(e) for h in cfg.get('custom_hooks') or []
            if str(h.get('type', '')).split('.')[-1] == 'KeepCheckpointHook'
            for e in h.get('epochs', ())]
    if warmup < 1 or warmup not in kept:
        raise ValueError(f'{search_config}: a search continued from another needs its '
                         f'warm-up end kept: custom_hooks must hold KeepCheckpointHook with '
                         f'epochs=[{warmup}] (train_cfg.warmup_epochs), got {kept}')
    return warmup


def _continue_search(how, seed, work_dir, search_dir, out):
    """Start ``search_dir`` at the kept warm-up end of ``how['continue_from']``'s search
    (same row and seed): the checkpoint is copied in and named the last one, so the search's
    ``--resume`` continues from it."""
    epoch = warmup_checkpoint_epoch(how['search'])
    row = osp.basename(osp.dirname(work_dir))
    source = osp.join(_work_dir(out, row, how['continue_from'], seed), 'search', 'kept',
                      f'epoch_{epoch}.pth')
    if not osp.exists(source):
        raise RuntimeError(f'{how["continue_from"]} (seed {seed}) has kept no warm-up end: '
                           f'{source}')
    from mmlean.compat.atomic_write import atomic_write_bytes
    target = osp.join(search_dir, f'epoch_{epoch}.pth')
    with open(source, 'rb') as f:
        atomic_write_bytes(f.read(), target)
    atomic_write_bytes(osp.abspath(target).encode(), osp.join(search_dir, 'last_checkpoint'))


def _keep(result, result_path):
    from mmlean.compat.atomic_write import atomic_write_bytes
    atomic_write_bytes(json.dumps(result, indent=1).encode(), result_path)
    print(f'{result["row"]} / {result["method"]} / seed {result["seed"]}: {result["metric"]} '
          f'{result["value"]:.2f} ({result["minutes"]:.1f} min)', flush=True)
    return result


def _run_script(row, label, spec, seed, work_dir, start_checkpoint, env, start):
    """A script method: one command that trains and evaluates (not resumable: a stopped
    run starts again)."""
    cmd = [sys.executable, *spec['script'], '--seeds', str(seed), '--out', work_dir]
    if start_checkpoint:
        cmd.append(f'--pretrained={start_checkpoint}')
    with open(osp.join(work_dir, 'script.out'), 'w') as log:
        subprocess.run(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                       check=True)
    with open(osp.join(work_dir, 'results.json')) as f:
        first = json.load(f)['rows'][0]
    result = dict(row=row, method=label, script=spec['script'], seed=seed,
                  metric=row_spec(row)['metric'], value=float(first[spec['value']]),
                  details=first, checkpoint=None, minutes=(time.time() - start) / 60)
    return _keep(result, osp.join(work_dir, 'result.json'))


def prepare_data(row):
    """Write the row's generated data set (seeded, no download) if it is not there yet."""
    data = row_spec(row)['data']
    if data is None or osp.isdir(osp.join(REPO, data[0])):
        return
    print(f'{row}: writing {data[0]}', flush=True)
    subprocess.run([sys.executable, *data[1]], cwd=REPO, check=True)


def campaign(args):
    rows = args.rows.split(',')
    for row in rows:
        if row not in ROWS:
            raise SystemExit(f'evidence.py: --rows: {row!r} is not one of {list(ROWS)}')
    methods = None
    if args.methods:
        methods = {m.strip() for m in args.methods.split(',')}
        known = {name for row in rows for label in ROWS[row]['methods']
                 for name in (label, _slug(label))}
        if methods - known:
            raise SystemExit(f'evidence.py: --methods: {sorted(methods - known)} not among '
                             f'the methods of {rows}: {sorted(known)}')
    chosen = {(row, label) for row in rows for label in ROWS[row]['methods']
              if methods is None or label in methods or _slug(label) in methods}
    starts = {need for row, label in chosen for need in needs(row, label)}
    chosen |= starts
    # a start in another row runs with the seeds of the row that needs it
    every_row = list(dict.fromkeys([*rows, *(r for r, _ in starts)]))
    seeds = {row: ([int(s) for s in args.seeds.split(',')] if args.seeds else
                   list(row_spec(row)['seeds'])) for row in rows}
    for row, label in sorted(chosen - starts):
        for start_row, _ in needs(row, label):
            seeds.setdefault(start_row, seeds[row])
    for row in every_row:
        prepare_data(row)
    # two stages: the runs other runs start from, then the others
    for stage in (chosen & starts, chosen - starts):
        jobs = [(row, label, ROWS[row]['methods'][label], seed) for row in every_row
                for seed in seeds[row] for label in ROWS[row]['methods']
                if (row, label) in stage]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for future in [pool.submit(run_one, *job, args.out) for job in jobs]:
                future.result()


def _mean_std(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def paired_p_value(d_mean, d_std, n):
    """Two-sided p-value of the paired t-test: t = mean / (std / sqrt(n)), n - 1 dof."""
    from scipy.stats import t as student_t
    if d_std == 0:
        return 1.0 if d_mean == 0 else 0.0
    return float(2 * student_t.sf(abs(d_mean) / (d_std / n ** 0.5), n - 1))


def report(out):
    results = []
    for row in ROWS:
        row_dir = osp.join(out, row)
        for name in sorted(os.listdir(row_dir)) if osp.isdir(row_dir) else []:
            path = osp.join(row_dir, name, 'result.json')
            if osp.exists(path):
                with open(path) as f:
                    results.append(json.load(f))
    lines = ['| row | method | seeds | test metric (mean ± std) | paired difference to '
             'the baseline | reads |', '|---|---|---|---|---|---|']
    table = []
    for row in ROWS:
        spec = row_spec(row)
        unit = ' %' if spec['metric'] == 'accuracy/top1' else ''
        by_method = {}
        for r in results:
            if r['row'] == row:  # (runs before the metric field kept 'accuracy')
                by_method.setdefault(r['method'], {})[r['seed']] = r.get('value', r.get(
                    'accuracy'))
        for label in spec['methods']:
            runs = by_method.get(label)
            if not runs:
                continue
            mean, std = _mean_std(list(runs.values()))
            baseline = baseline_of(row, label)
            base = by_method.get(baseline, {})
            paired = sorted(set(runs) & set(base))
            diff, reads, p = '', '', None
            if label != baseline and len(paired) > 1 and not label.endswith('(reference)'):
                d_mean, d_std = _mean_std([runs[s] - base[s] for s in paired])
                p = paired_p_value(d_mean, d_std, len(paired))
                diff = f'{d_mean:+.2f} ± {d_std:.2f}{" pts" if unit else ""}'
                if baseline != spec['baseline']:
                    diff += f' (to {baseline})'
                better = d_mean < 0 if spec['lower_is_better'] else d_mean > 0
                reads = ('within the spread' if p >= 0.05 else
                         ('better than the baseline' if better else 'worse than the baseline'))
                reads += f' (p = {p:.2g})'
            table.append(dict(row=row, method=label, metric=spec['metric'], seeds=sorted(runs),
                              mean=mean, std=std, per_seed=runs, baseline=baseline, diff=diff,
                              p=p, reads=reads))
            lines.append(f'| {row} | {label} | {len(runs)} | {spec["metric"]} {mean:.2f} ± '
                         f'{std:.2f}{unit} | {diff} | {reads} |')
    shown = list(dict.fromkeys(e['row'] for e in table))
    lines += ['', '| row | the paper\'s claim | baseline |', '|---|---|---|']
    lines += [f'| {row} | {ROWS[row]["claim"]} | '
              f'{"; ".join(dict.fromkeys(baseline_of(row, m) for m in ROWS[row]["methods"]))} |'
              for row in shown]
    text = '\n'.join(lines) + '\n'
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'report.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'report.json'), 'w') as f:
        json.dump(table, f, indent=1)
    if table:
        figure(table, osp.join(out, 'report.png'))
    print(text, end='')
    return table


def figure(table, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = list(dict.fromkeys(e['row'] for e in table))
    fig, axes = plt.subplots(1, len(rows), figsize=(4.5 * len(rows), 3.6), squeeze=False)
    for ax, row in zip(axes[0], rows):
        entries = [e for e in table if e['row'] == row]
        # one faint line per seed through the methods: the comparisons are paired
        for seed in sorted({s for e in entries for s in e['per_seed']}):
            points = [(x, e['per_seed'][seed]) for x, e in enumerate(entries)
                      if seed in e['per_seed']]
            ax.plot(*zip(*points), '-', color='grey', alpha=0.3, lw=0.8)
        for x, e in enumerate(entries):
            ax.errorbar([x], [e['mean']], yerr=[e['std']], fmt='o', color=f'C{x}', capsize=4)
            ax.plot([x] * len(e['per_seed']), list(e['per_seed'].values()), '.', color='grey')
        ax.set_xticks(range(len(entries)), [textwrap.fill(e['method'], 16) for e in entries],
                      fontsize=7)
        ax.set_ylabel(f'test {entries[0]["metric"]}')
        ax.set_title(row)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    if not args.report:
        campaign(args)
    report(args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
