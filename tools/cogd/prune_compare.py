"""Soft-mask channel pruning at equal FLOPs: CoGD vs SGD vs proximal SGD, one script.

    OMP_NUM_THREADS=1 python tools/cogd/prune_compare.py [--config C] [--sgd-config C]
        [--pretrained CKPT] [--pretrain-epochs 4] [--mask-epochs 3] [--ft-epochs 2]
        [--seeds 0] [--variants SGD,prox-SGD,CoGD] [--out work_dirs/cogd_prune_digits]

The defaults run on scikit-learn's digits (configs/cogd/cogd_resnet20_1xb64-10e_digits.py);
``--config configs/cogd/cogd_resnet20_1xb64-12e_digits-on-photos.py`` (with its
``--sgd-config`` twin) runs the same protocol on the digits-on-photos proxy, which does not
saturate.

1. A CIFAR ResNet-20 is trained on the config's data (or ``--pretrained``
   loads one, e.g. the unpruned network of the HRank evidence row).
2. From the same weights, the same data order and the same learning-rate
   schedule, the soft masks of the config are trained with each optimizer:
   - ``SGD``: plain SGD, the l1 penalty on the masks in the loss
     (``--sgd-config``);
   - ``prox-SGD``: CoGD with ``rule='none'`` (the proximal l1 step, no
     correction): isolates the correction;
   - ``CoGD``: the config's optimizer (the paper's form).
3. Each model is pruned physically to the same per-layer channel counts
   (equal FLOPs), evaluated, fine-tuned with SGD for the same epochs and
   evaluated again. Prints accuracy, MACs and parameters of the pruned models
   and writes them to ``<out>/results.json``.
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/cogd/cogd_resnet20_1xb64-10e_digits.py'
SGD_CONFIG = 'configs/cogd/softmask-sgd_resnet20_1xb64-10e_digits.py'
VARIANTS = ('SGD', 'prox-SGD', 'CoGD')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default=CONFIG,
                   help='the CoGD soft-mask config (model, data, optimizer)')
    p.add_argument('--sgd-config', default=SGD_CONFIG,
                   help="the SGD variant's config (its optimizer)")
    p.add_argument('--pretrained', help='checkpoint of the unpruned ResNet-20 (state_dict)')
    p.add_argument('--pretrain-epochs', type=int, default=4)
    p.add_argument('--mask-epochs', type=int, default=3)
    p.add_argument('--ft-epochs', type=int, default=2)
    p.add_argument('--lr', type=float, default=None, help='mask phase lr (config default)')
    p.add_argument('--l1', type=float, default=None, help='mask l1 weight (config default)')
    p.add_argument('--beta', type=float, default=None, help='CoGD beta (config default)')
    p.add_argument('--mask-lr-mult', type=float, default=None,
                   help="the masks' lr relative to the weights' (config default)")
    p.add_argument('--rate', type=float, default=None, help='prune rate (config default)')
    p.add_argument('--ft-lr', type=float, default=0.02)
    p.add_argument('--bn-batches', type=int, default=10,
                   help='batches to re-estimate BN statistics after pruning (0: keep)')
    p.add_argument('--seeds', default='0')
    p.add_argument('--variants', default='SGD,prox-SGD,CoGD')
    p.add_argument('--out', default='work_dirs/cogd_prune_digits')
    return p.parse_args(argv)


def loaders(cfg, seed):
    from mmengine.runner import Runner
    train = copy.deepcopy(cfg.train_dataloader)
    val = copy.deepcopy(cfg.val_dataloader)
    train.sampler.seed = seed
    return Runner.build_dataloader(train, seed=seed), Runner.build_dataloader(val, seed=seed)


def run_epochs(model, preprocessor, loader, wrapper, epochs, seed, epoch0=0):
    """SGD-style training with a cosine lr over ``epochs`` (same for all)."""
    from mmengine.runner import set_random_seed
    set_random_seed(seed)  # the same augmentation draws for every variant
    steps = epochs * len(loader)
    step = 0
    model.train()
    for epoch in range(epochs):
        loader.sampler.set_epoch(seed * 1000 + epoch0 + epoch)
        for data in loader:
            for g in wrapper.optimizer.param_groups:  # cosine, from each group's own lr
                base = g.setdefault('cosine_base_lr', g['lr'])
                g['lr'] = 0.5 * base * (1 + math.cos(math.pi * step / steps))
            data = preprocessor(data, True)
            losses = model(**data, mode='loss')
            loss, _ = model.parse_losses(losses)
            wrapper.update_params(loss)
            step += 1


@torch.no_grad()
def recalibrate_bn(model, preprocessor, loader, batches):
    """Re-estimate the BatchNorm running statistics (cumulative average over
    ``batches`` training batches, no gradient): removing channels changes the
    next layers' input statistics, which the stored ones do not know."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not batches or not bns:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for i, data in enumerate(loader):
        if i == batches:
            break
        data = preprocessor(data, True)
        model(data['inputs'], mode='tensor')
    for m, mom in zip(bns, saved):
        m.momentum = mom


@torch.no_grad()
def accuracy(model, preprocessor, loader):
    model.eval()
    right = total = 0
    for data in loader:
        data = preprocessor(data, False)
        out = model(**data, mode='predict')
        for s in out:
            right += int(s.pred_label == s.gt_label)
            total += 1
    return 100.0 * right / total


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    import logging

    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.cogd  # noqa: F401
    from mmlean.compat.checkpoint import safe_load
    from mmlean.projects.hrank.flops import conv_linear_complexity
    from mmlean.utils.config import load_config
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)  # no paramwise listing
    cfg = load_config(osp.join(ROOT, args.config))
    sgd_cfg = load_config(osp.join(ROOT, args.sgd_config))
    unknown = sorted(set(args.variants.split(',')) - set(VARIANTS))
    if unknown:
        raise SystemExit(f'prune_compare.py: --variants: {unknown} not among {VARIANTS}')
    init_default_scope('mmpretrain')
    os.makedirs(args.out, exist_ok=True)
    shape = tuple(cfg.model.input_shape)
    # as mmengine's Runner does: the config's top-level preprocessor (the data's mean and
    # std) goes to the model, so a --pretrained network trained by tools/train.py sees the
    # inputs it was trained on
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    cfg.model.architecture.pop('init_cfg', None)
    if args.rate is not None:
        cfg.model.prune_rate = args.rate
    opt_cfg = cfg.optim_wrapper
    lr = args.lr if args.lr is not None else opt_cfg.optimizer.lr
    opt_cfg.optimizer.lr = lr
    l1 = args.l1 if args.l1 is not None else opt_cfg.paramwise_cfg.cogd_pairs[0]['l1']
    if args.beta is not None:
        opt_cfg.optimizer.beta = args.beta
    pair = opt_cfg.paramwise_cfg.cogd_pairs[0]
    mult = args.mask_lr_mult if args.mask_lr_mult is not None else pair.get('x_lr_mult', 1.0)
    pair['x_lr_mult'] = mult
    print(f'threads {torch.get_num_threads()}, lr {lr} (masks x{mult}), l1 {l1}, beta '
          f'{opt_cfg.optimizer.beta}, rate {cfg.model.prune_rate}, epochs: pretrain '
          f'{args.pretrain_epochs}, masks {args.mask_epochs}, fine-tune {args.ft_epochs}',
          flush=True)
    rows = []
    for seed in [int(s) for s in args.seeds.split(',')]:
        train, val = loaders(cfg, seed)
        torch.manual_seed(seed)
        base = MODELS.build(copy.deepcopy(cfg.model))
        pre = base.data_preprocessor
        arch_keys = set(base.architecture.state_dict())
        if args.pretrained:
            state = safe_load(args.pretrained)
            state = state.get('state_dict', state)
            state = {k[len('architecture.'):] if k.startswith('architecture.') else k: v
                     for k, v in state.items()}
            missing, unexpected = base.architecture.load_state_dict(state, strict=False)
            assert all(k.endswith('soft_mask') for k in missing) and not unexpected, (
                missing, unexpected)
        else:
            start = time.perf_counter()
            wrapper = build_optim_wrapper(base.architecture, dict(
                optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
            with torch.no_grad():
                for m in base.masks().values():
                    m.requires_grad_(False)
            run_epochs(base.architecture, pre, train, wrapper, args.pretrain_epochs, seed)
            for m in base.masks().values():
                m.requires_grad_(True)
            print(f'seed {seed}: pretrained {args.pretrain_epochs} epochs in '
                  f'{time.perf_counter() - start:.0f} s', flush=True)
        weights = {k: v.clone() for k, v in base.architecture.state_dict().items()}
        torch.save(weights, osp.join(args.out, f'pretrained_seed{seed}.pth'))
        full_acc = accuracy(base, pre, val)
        full = conv_linear_complexity(base.masked_copy(drop=False), shape)
        print(f'seed {seed}: unpruned accuracy {full_acc:.2f}%, {full[0] / 1e6:.2f}M MACs, '
              f'{full[1] / 1e3:.1f}k params', flush=True)
        for variant in args.variants.split(','):
            start = time.perf_counter()
            mcfg = copy.deepcopy(cfg.model)
            ocfg = copy.deepcopy(opt_cfg)
            steps = args.mask_epochs * len(train)
            if variant == 'SGD':
                mcfg.l1_loss = l1
                ocfg = copy.deepcopy(sgd_cfg.optim_wrapper)
                ocfg.optimizer.lr = lr
                ocfg.paramwise_cfg.custom_keys['soft_mask'].lr_mult = mult
            else:
                ocfg.optimizer.total_steps = steps
                ocfg.paramwise_cfg.cogd_pairs[0]['l1'] = l1
                if variant == 'prox-SGD':
                    ocfg.optimizer.rule = 'none'
            torch.manual_seed(seed)
            algo = MODELS.build(mcfg)
            algo.architecture.load_state_dict(weights)
            assert arch_keys <= set(weights)
            wrapper = build_optim_wrapper(algo, ocfg)
            run_epochs(algo, pre, train, wrapper, args.mask_epochs, seed, epoch0=100)
            masked_acc = accuracy(algo, pre, val)  # BN statistics frozen while training
            zeros, total = algo.zero_channels()
            pruned = algo.export()
            cost = conv_linear_complexity(pruned, shape)
            raw_acc = accuracy(pruned, pre, val)
            recalibrate_bn(pruned, pre, train, args.bn_batches)
            pruned_acc = accuracy(pruned, pre, val)
            ft = build_optim_wrapper(pruned, dict(
                optimizer=dict(type='SGD', lr=args.ft_lr, momentum=0.9, weight_decay=5e-4)))
            run_epochs(pruned, pre, train, ft, args.ft_epochs, seed, epoch0=200)
            ft_acc = accuracy(pruned, pre, val)
            row = dict(seed=seed, variant=variant, unpruned_acc=full_acc, masked_acc=masked_acc,
                       zero_masks=zeros, masked_channels=total, pruned_acc_raw=raw_acc,
                       pruned_acc=pruned_acc,
                       finetuned_acc=ft_acc, macs=cost[0], params=cost[1], full_macs=full[0],
                       full_params=full[1], seconds=time.perf_counter() - start)
            rows.append(row)
            print(f"seed {seed} {variant:9s} masks=0: {zeros:3d}/{total}  acc: masked "
                  f"{masked_acc:6.2f}  pruned {raw_acc:6.2f} (BN re-estimated {pruned_acc:6.2f})  "
                  f"fine-tuned {ft_acc:6.2f}  "
                  f"MACs {cost[0] / 1e6:.2f}M ({cost[0] / full[0]:.1%})  params "
                  f"{cost[1] / 1e3:.1f}k ({cost[1] / full[1]:.1%})  "
                  f"({row['seconds']:.0f} s)", flush=True)
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(dict(args=vars(args), rows=rows), f, indent=1)
    print('variant    pruned acc (mean)  fine-tuned acc (mean)')
    for variant in args.variants.split(','):
        r = [x for x in rows if x['variant'] == variant]
        print(f"{variant:9s}  {sum(x['pruned_acc'] for x in r) / len(r):6.2f}  "
              f"{sum(x['finetuned_acc'] for x in r) / len(r):6.2f}")
    print(f'wrote {args.out}/results.json')


if __name__ == '__main__':
    main()
