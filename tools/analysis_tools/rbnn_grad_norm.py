"""The gradient norm of an RBNN network along its (k, t) schedule, on fixed weights.

    python tools/analysis_tools/rbnn_grad_norm.py CONFIG [CHECKPOINT] [--epochs 0,5,10,14,16,18]
        [--batches 3] [--json out.json] [--cfg-options k=v ...]

Builds the config's model with the checkpoint's weights (or the config's own init, e.g.
the full-precision start of a ``*-from-fp`` config), runs one rotation update (as the
first epoch does), then, for each listed epoch, sets every ``RBNNConv2d``'s (k, t) to
that epoch's values (:func:`mmlean.binary.rbnn_k_t` with the config's ``RBNNHook``
t_min / t_max and ``max_epochs``) and prints the global L2 norm of the training loss's
gradient on the same ``--batches`` training batches, and the ratio of the first binary
layer's weight-gradient norm to the last's. Only t changes between the rows, so the
table shows how RBNN's training-aware sign (backward ``k max(0, sqrt(2) t - t^2 |x|)``,
applied to the activations of every binary layer) scales the gradient as t grows.
"""
import argparse
import json
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', help='weights (default: the config\'s init)')
    p.add_argument('--epochs', default='0,5,10,14,16,18',
                   help='comma-separated epochs of the schedule whose (k, t) to probe')
    p.add_argument('--batches', type=int, default=3, help='training batches per row')
    p.add_argument('--json', help='also write the rows here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config keys (see tools/train.py)')
    return p.parse_args(argv)


def schedule_of(cfg):
    """(t_min, t_max, max_epochs) of the config's RBNNHook and training loop."""
    hook = next((h for h in cfg.get('custom_hooks', []) if h.get('type') == 'RBNNHook'), None)
    if hook is None:
        raise SystemExit(f'rbnn_grad_norm.py: {cfg.filename} has no RBNNHook in custom_hooks '
                         '(not an RBNN config)')
    return hook.get('t_min', 1e-2), hook.get('t_max', 1e1), cfg.train_cfg.max_epochs


def gradient_norms(model, batches, epochs, t_min, t_max, max_epochs):
    """One row per epoch: its (k, t), the global gradient norm (mean over the batches)
    and the first / last binary layer's weight-gradient norm ratio."""
    import torch

    from mmlean.binary import RBNNConv2d, rbnn_k_t
    convs = [m for m in model.modules() if isinstance(m, RBNNConv2d)]
    if not convs:
        raise SystemExit('rbnn_grad_norm.py: the model has no RBNNConv2d')
    rows = []
    model.train()
    for epoch in epochs:
        k, t = rbnn_k_t(epoch, max_epochs, t_min, t_max)
        for conv in convs:
            conv.k, conv.t = k, t
        norms, ratios = [], []
        for batch in batches:
            model.zero_grad()
            data = model.data_preprocessor(batch, True)
            loss, _ = model.parse_losses(model(**data, mode='loss'))
            loss.backward()
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack(
                [torch.linalg.vector_norm(g) for g in grads]))))
            ratios.append(float(convs[0].weight.grad.norm() / convs[-1].weight.grad.norm()))
        rows.append(dict(epoch=epoch, k=k, t=t, grad_norm=sum(norms) / len(norms),
                         first_to_last=sum(ratios) / len(ratios)))
    return rows


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import Runner

    from mmlean.binary import RBNNConv2d
    from mmlean.utils.config import load_config
    cfg = load_config(args.config, args.cfg_options)
    t_min, t_max, max_epochs = schedule_of(cfg)
    cfg.work_dir = cfg.get('work_dir') or 'work_dirs/rbnn_grad_norm'
    cfg.log_level = 'WARNING'
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    model = runner.model
    if not args.checkpoint:
        model.init_weights()
    for conv in model.modules():
        if isinstance(conv, RBNNConv2d):
            conv.update_rotation()
    loader = iter(runner.train_dataloader)
    batches = [next(loader) for _ in range(args.batches)]
    epochs = [int(e) for e in args.epochs.split(',')]
    rows = gradient_norms(model, batches, epochs, t_min, t_max, max_epochs)
    print('epoch  k        t        |grad|      first/last binary layer')
    for r in rows:
        print(f"{r['epoch']:5d}  {r['k']:<7.4g}  {r['t']:<7.4g}  {r['grad_norm']:<10.4g}  "
              f"{r['first_to_last']:.4g}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
