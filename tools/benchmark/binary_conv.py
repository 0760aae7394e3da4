"""Benchmark the bit-packed binary conv against torch FP32 and int8 convs.

For each ResNet-18 3x3 shape (stride 1 and 2), 3x3 shapes with few channels
on large maps and 1x1 shapes, at batch 1, times in the same run, interleaved:
torch FP32 conv (NCHW and channels_last; the best is the baseline), torch int8
conv (``torch.ao.nn.quantized.Conv2d``, per-channel weights, x86 and onednn
engines, on an already-quantized input; the best is the baseline) and
mmlean's binary conv (``PackedBinaryConv2d``: per-sample mean, packing the
float input, XNOR-popcount conv and the fused scale/BN epilogue, all
included). Prints min and median, the ratios (computed on the
minimum) and the ISA path; ``--e2e`` adds a whole binary ResNet-18 against its
FP32 twin and the deploy file sizes: FP32 eager (NCHW, channels_last) and as
frozen TorchScript optimized for inference (the fastest FP32 form here), the
deploy model eager and with its FP stem/downsamples frozen the same way
(``mmlean.binary.freeze_fp_chains``); the ratio is best form against best
form. The depthwise suite times the binary depthwise convs of binarized DARTS
operations (3x3 and 5x5, dilation 1 and 2) against torch's FP32 depthwise conv
(``groups=C``, NCHW and channels_last).

    python tools/benchmark/binary_conv.py [--threads 1 2] [--isa native avx2] [--e2e]
        [--suites dense depthwise]
"""
import argparse
import copy
import io
import json
import os
import statistics
import subprocess
import sys
import warnings

import torch
import torch.nn as nn

from mmlean.utils.benchmark import timeit

SHAPES = [  # (cin, cout, hw_in, stride, kernel)
    # ResNet-18
    (64, 64, 56, 1, 3), (128, 128, 28, 1, 3), (256, 256, 14, 1, 3), (512, 512, 7, 1, 3),
    (64, 128, 56, 2, 3), (128, 256, 28, 2, 3), (256, 512, 14, 2, 3),
    # few channels, large maps (32 and 48 channels fill a 64-bit word partly)
    (32, 32, 32, 1, 3), (32, 32, 64, 1, 3), (48, 48, 32, 1, 3), (48, 48, 64, 1, 3),
    (64, 64, 32, 1, 3), (64, 64, 64, 1, 3),
    # 1x1
    (128, 128, 28, 1, 1), (256, 256, 14, 1, 1), (512, 512, 7, 1, 1),
]


DW_SHAPES = [  # (channels, hw_in, kernel, dilation, stride)
    (64, 56, 3, 1, 1), (64, 56, 3, 2, 1), (64, 56, 5, 1, 1), (64, 56, 5, 2, 1),
    (128, 28, 3, 1, 1), (128, 28, 3, 2, 1), (128, 28, 5, 1, 1), (128, 28, 5, 2, 1),
    (256, 14, 3, 1, 1), (256, 14, 5, 2, 1), (128, 28, 3, 1, 2), (128, 28, 5, 1, 2),
]


def int8_conv(weight, bias, stride, engine):
    import torch.ao.nn.quantized as nnq
    torch.backends.quantized.engine = engine
    cout, cin, k = weight.shape[:3]
    conv = nnq.Conv2d(cin, cout, k, stride=stride, padding=k // 2)
    w_scale = weight.abs().amax(dim=(1, 2, 3)) / 127
    qw = torch.quantize_per_channel(weight, w_scale.double(), torch.zeros(cout, dtype=torch.long),
                                    0, torch.qint8)
    conv.set_weight_bias(qw, bias)
    conv.scale, conv.zero_point = 0.05, 64
    return conv


def bench_layers(reps, threads):
    from mmlean.binary import PackedBinaryConv2d
    torch.set_num_threads(threads)
    rows = []
    with torch.no_grad():
        for cin, cout, hw, stride, k in SHAPES:
            g = torch.Generator().manual_seed(0)
            x = torch.randn(1, cin, hw, hw, generator=g)
            w = torch.randn(cout, cin, k, k, generator=g)
            b = torch.randn(cout, generator=g)
            fp = nn.Conv2d(cin, cout, k, stride, k // 2).eval()
            fp.weight.copy_(w)
            fp.bias.copy_(b)
            fp_cl = nn.Conv2d(cin, cout, k, stride, k // 2).eval().to(
                memory_format=torch.channels_last)
            fp_cl.load_state_dict(fp.state_dict())
            x_cl = x.contiguous(memory_format=torch.channels_last)
            fns = {'fp32_nchw': lambda: fp(x), 'fp32_cl': lambda: fp_cl(x_cl)}
            qx = torch.quantize_per_tensor(x_cl, 0.05, 64, torch.quint8)
            for engine in ('x86', 'onednn'):
                if engine in torch.backends.quantized.supported_engines:
                    q = int8_conv(w, b, stride, engine)

                    def run_q(q=q, engine=engine):
                        torch.backends.quantized.engine = engine
                        return q(qx)

                    fns[f'int8_{engine}'] = run_q
            binary = PackedBinaryConv2d(w, torch.rand(cout) + 0.5, b, stride, k // 2)
            fns['binary'] = lambda: binary(x_cl)
            times = timeit(fns, reps)
            mins = {n: min(v) * 1e6 for n, v in times.items()}
            meds = {n: statistics.median(v) * 1e6 for n, v in times.items()}
            fp_best = min(mins['fp32_nchw'], mins['fp32_cl'])
            int8_keys = [n for n in mins if n.startswith('int8')]
            int8_best = min(mins[n] for n in int8_keys) if int8_keys else float('nan')
            kernel = '' if k == 3 else f' {k}x{k}'
            rows.append(dict(shape=f'{cin}->{cout} {hw}x{hw} s{stride}{kernel}', threads=threads,
                             min_us=mins, median_us=meds,
                             speedup_vs_fp32=fp_best / mins['binary'],
                             speedup_vs_int8=int8_best / mins['binary']))
    return rows


def bench_depthwise(reps, threads):
    from mmlean.binary import PackedBinaryConv2d
    torch.set_num_threads(threads)
    rows = []
    with torch.no_grad():
        for c, hw, k, dil, stride in DW_SHAPES:
            g = torch.Generator().manual_seed(0)
            x = torch.randn(1, c, hw, hw, generator=g)
            w = torch.randn(c, 1, k, k, generator=g)
            b = torch.randn(c, generator=g)
            pad = dil * (k // 2)
            fp = nn.Conv2d(c, c, k, stride, pad, dilation=dil, groups=c).eval()
            fp.weight.copy_(w)
            fp.bias.copy_(b)
            fp_cl = nn.Conv2d(c, c, k, stride, pad, dilation=dil, groups=c).eval().to(
                memory_format=torch.channels_last)
            fp_cl.load_state_dict(fp.state_dict())
            x_cl = x.contiguous(memory_format=torch.channels_last)
            binary = PackedBinaryConv2d(w, torch.rand(c) + 0.5, b, stride, pad,
                                        dilation=dil, groups=c)
            times = timeit({'fp32_nchw': lambda: fp(x), 'fp32_cl': lambda: fp_cl(x_cl),
                            'binary': lambda: binary(x_cl)}, reps)
            mins = {k_: min(v) * 1e6 for k_, v in times.items()}
            meds = {k_: statistics.median(v) * 1e6 for k_, v in times.items()}
            rows.append(dict(shape=f'dw{k}x{k} d{dil} {c}ch {hw}x{hw} s{stride}',
                             threads=threads, min_us=mins, median_us=meds,
                             speedup_vs_fp32=min(mins['fp32_nchw'], mins['fp32_cl']) /
                             mins['binary']))
    return rows


def print_depthwise_rows(rows, isa):
    print(f'\nbinary depthwise conv, ISA path: {isa}, threads: {rows[0]["threads"]} '
          '(microseconds, min / median)')
    print(f'{"shape":<30}{"fp32 nchw":>14}{"fp32 cl":>14}{"binary":>14}{"x fp32":>8}')
    for r in rows:
        cell = lambda k: f'{r["min_us"][k]:.0f}/{r["median_us"][k]:.0f}'  # noqa: E731
        print(f'{r["shape"]:<30}{cell("fp32_nchw"):>14}{cell("fp32_cl"):>14}'
              f'{cell("binary"):>14}{r["speedup_vs_fp32"]:>7.2f}x')


def print_rows(rows, isa):
    print(f'\nbinary conv, ISA path: {isa}, threads: {rows[0]["threads"]} '
          '(microseconds, min / median)')
    head = f'{"shape":<22}{"fp32 nchw":>14}{"fp32 cl":>14}{"int8 x86":>14}{"int8 onednn":>14}' \
           f'{"binary":>14}{"x fp32":>8}{"x int8":>8}'
    print(head)
    for r in rows:
        cell = lambda k: (f'{r["min_us"][k]:.0f}/{r["median_us"][k]:.0f}'  # noqa: E731
                          if k in r['min_us'] else '-')
        binary = f'{r["min_us"]["binary"]:.1f}/{r["median_us"]["binary"]:.1f}'
        print(f'{r["shape"]:<22}{cell("fp32_nchw"):>14}{cell("fp32_cl"):>14}'
              f'{cell("int8_x86"):>14}{cell("int8_onednn"):>14}{binary:>14}'
              f'{r["speedup_vs_fp32"]:>7.1f}x{r["speedup_vs_int8"]:>7.1f}x')


def bench_e2e(reps):
    """Binary ResNet-18 (Bi-Real structure, RBNN convs -> deploy) vs FP32 twin."""
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.rbnn  # noqa: F401
    from mmlean.binary import convert_to_deploy, freeze_fp_chains
    torch.set_num_threads(1)
    init_default_scope('mmpretrain')
    arch = dict(type='ImageClassifier', backbone=dict(type='BiRealResNet', depth=18,
                                                      act_cfg=dict(type='Hardtanh')),
                neck=dict(type='PoolBatchNormNeck', in_channels=512),
                head=dict(type='LinearClsHead', num_classes=1000, in_channels=512))
    fp = MODELS.build(dict(arch, _scope_='mmpretrain')).eval()
    rbnn = MODELS.build(dict(_scope_='mmrazor', type='RBNN', architecture=arch,
                             keep_fp=['*shortcut*'])).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        for m in rbnn.modules():
            if hasattr(m, 'update_rotation'):
                m.update_rotation()
        deploy = rbnn.architecture
        convert_to_deploy(deploy, sample=x)
        fp_cl = MODELS.build(dict(arch, _scope_='mmpretrain')).eval().to(
            memory_format=torch.channels_last)
        fp_cl.load_state_dict(fp.state_dict())
        x_cl = x.contiguous(memory_format=torch.channels_last)
        # the best FP32 form on a CPU: TorchScript frozen and optimized for inference
        # (BN folded, oneDNN weights pre-packed, activations fused)
        fp_jit = _frozen_fp32(fp, x_cl)
        frozen = copy.deepcopy(deploy)
        freeze_fp_chains(frozen, x_cl)  # the deploy model's FP stem/downsamples alike
        times = timeit({'fp32_nchw': lambda: fp(x, mode='tensor'),
                        'fp32_cl': lambda: fp_cl(x_cl, mode='tensor'),
                        'fp32_jit': lambda: fp_jit(x_cl),
                        'binary': lambda: deploy(x_cl, mode='tensor'),
                        'binary_frozen_fp': lambda: frozen(x_cl, mode='tensor')},
                       reps, warmup=3)
    mins = {k: min(v) * 1e3 for k, v in times.items()}

    def size(model):
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        return len(buf.getvalue())

    fp_size, dep_size = size(fp), size(deploy)
    fp_eager = min(mins['fp32_nchw'], mins['fp32_cl'])
    fp_best = min(fp_eager, mins['fp32_jit'])
    binary_best = min(mins['binary'], mins['binary_frozen_fp'])
    print('\nend to end: ResNet-18 (Bi-Real structure), 224x224, batch 1, 1 thread (ms, min)')
    print(f'  FP32 NCHW {mins["fp32_nchw"]:.2f}  FP32 channels_last {mins["fp32_cl"]:.2f}  '
          f'FP32 TorchScript frozen {mins["fp32_jit"]:.2f}  |  binary deploy '
          f'{mins["binary"]:.2f}  binary deploy, FP parts frozen {mins["binary_frozen_fp"]:.2f}')
    print(f'  -> best vs best {fp_best / binary_best:.2f}x faster (eager deploy vs eager FP32: '
          f'{fp_eager / mins["binary"]:.2f}x)')
    print(f'  state_dict size: FP32 {fp_size / 1e6:.2f} MB, deploy {dep_size / 1e6:.2f} MB '
          f'-> {fp_size / dep_size:.1f}x smaller')
    return dict(ms=mins, speedup=fp_best / binary_best,
                speedup_eager=fp_eager / mins['binary'], fp32_bytes=fp_size,
                deploy_bytes=dep_size, compression=fp_size / dep_size)


def _frozen_fp32(model, sample):
    """``model(x, mode='tensor')`` as frozen TorchScript optimized for inference."""
    class Tensor(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x, mode='tensor')

    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        traced = torch.jit.trace(Tensor(copy.deepcopy(model)).eval(), sample)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--isa', nargs='+', default=['native', 'avx2'],
                        help="ISA paths to measure: 'native' (the best this CPU has), "
                        "'avx2', 'scalar' (each in its own process)")
    parser.add_argument('--reps', type=int, default=30)
    parser.add_argument('--e2e', action='store_true', help='also a whole ResNet-18')
    parser.add_argument('--suites', nargs='+', default=['dense', 'depthwise'],
                        choices=['dense', 'depthwise'], help='layer suites to time')
    parser.add_argument('--json', help='write all results to this file')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    import mmlean  # noqa: F401

    if args.child:  # one ISA path, results as json on stdout's last line
        from mmlean.ops import cpu_isa
        out = dict(isa=cpu_isa(), rows=[], depthwise=[])
        for t in args.threads:
            if 'dense' in args.suites:
                out['rows'] += bench_layers(args.reps, t)
            if 'depthwise' in args.suites:
                out['depthwise'] += bench_depthwise(args.reps, t)
        print(json.dumps(out))
        return

    print(f'torch {torch.__version__}; CPU flags: ' + ' '.join(
        f for f in ('avx2', 'avx512f', 'avx512_vpopcntdq', 'avx512_vnni')
        if f in open('/proc/cpuinfo').read()))
    results = dict(layers={}, depthwise={})
    for isa in args.isa:
        env = dict(os.environ)
        if isa != 'native':
            env['MMLEAN_CPU_ISA'] = isa
        cmd = [sys.executable, __file__, '--child', '--reps', str(args.reps),
               '--threads', *map(str, args.threads), '--suites', *args.suites]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f'benchmark for ISA {isa!r} failed:\n{proc.stderr[-3000:]}')
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        results['layers'][res['isa']] = res['rows']
        results['depthwise'][res['isa']] = res['depthwise']
        for t in args.threads:
            if res['rows']:
                print_rows([r for r in res['rows'] if r['threads'] == t], res['isa'])
            if res['depthwise']:
                print_depthwise_rows([r for r in res['depthwise'] if r['threads'] == t],
                                     res['isa'])
    if args.e2e:
        results['e2e'] = bench_e2e(max(10, args.reps // 2))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
