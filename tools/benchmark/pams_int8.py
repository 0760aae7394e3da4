"""PAMS deployment: int8 EDSR x4 against FP32 EDSR x4 on the CPU, in the same run.

    python tools/benchmark/pams_int8.py [--threads 1] [--reps 20] [--checkpoint PAMS_CKPT]

EDSR-baseline x4 (64 channels, 16 blocks; mmagic's EDSRNet), 64x64 LR input,
batch 1. The FP32 baseline is timed in both layouts and the faster one
counts. The int8 model (projects/pams/deploy.py: int8 body on torch's x86
engine, FP32 head/tail as PAMS trains them) is built from an 8-bit PAMS
model: a trained checkpoint if given, else random FP weights with alpha
calibrated on random images (speed depends on shapes, not on values). Also
reports one 64->64 3x3 conv layer alone, the int8 model's deviation from the
fake-quantized model it came from, and weight storage at 8 and 4 bits.

Both int8 forms are timed (mmlean.quant.int8): 'direct' (plain int8 convs,
exact only where the kernels accumulate without int16 saturation, i.e. with
VNNI) and 'safe' (split weights on the first conv of each block, zero point 0
between the convs: exact on every x86 CPU); the goals are checked on the form
that 'auto' picks on this machine, which is the one deployment uses.
Goals (perf anchors G9-G11): end to end >= 1.5x, layer >= 2.5x, quantized
weights >= 3.5x smaller at 8 bits and >= 7x at 4 bits.
"""
import argparse
import statistics
import sys
import warnings

import torch

from mmlean.utils.benchmark import timeit

GOALS = dict(e2e=1.5, layer=2.5, store8=3.5, store4=7.0)


def build_pams_edsr(bits, checkpoint=None):
    from mmagic.registry import MODELS
    from mmengine.registry import init_default_scope

    import mmlean.projects.pams as pams
    init_default_scope('mmagic')
    net = MODELS.build(dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=64,
                            num_blocks=16, upscale_factor=4, res_scale=1)).eval()
    pams.quantize_sr_generator(net, bits)
    if checkpoint:
        state = pams.generator_state(checkpoint)
        net.load_state_dict(state, strict=True)
    else:
        torch.manual_seed(0)
        pams.set_calibrating(net, True)
        with torch.no_grad():
            net(torch.rand(2, 3, 48, 48))
        pams.set_calibrating(net, False)
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--size', type=int, default=64, help='LR input height and width')
    parser.add_argument('--checkpoint', help='a trained 8-bit PAMS EDSR x4 checkpoint')
    args = parser.parse_args()
    warnings.filterwarnings('ignore', category=UserWarning)
    warnings.filterwarnings('ignore', category=FutureWarning)
    torch.set_num_threads(args.threads)
    from mmlean.projects.pams.deploy import Int8EDSR, storage_report
    from mmlean.quant import QuantConv2d
    from mmlean.quant.int8 import Int8Conv2d, quantize_act

    fake8 = build_pams_edsr(8, args.checkpoint)
    int8 = Int8EDSR(fake8)
    forms = {mode: Int8EDSR(fake8, mode=mode) for mode in ('direct', 'safe')}
    fp = build_pams_edsr(8)  # same shapes; run as plain FP32 below
    fp_net = _plain_fp(fp)
    fp_cl = _plain_fp(build_pams_edsr(8)).to(memory_format=torch.channels_last)
    x = torch.rand(1, 3, args.size, args.size)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    print(f'engine {int8.engine}, {torch.get_num_threads()} thread(s), torch {torch.__version__}, '
          f'EDSR x4 64c16b, input 1x3x{args.size}x{args.size}; int8 form picked here: '
          f'{int8.exact_path}')
    with torch.no_grad():
        ref = fake8(x)
        diffs = {m: (f(x) - ref).abs().max().item() for m, f in forms.items()}
        diff = diffs[int8.exact_path]
        times = timeit({'fp32_nchw': lambda: fp_net(x), 'fp32_cl': lambda: fp_cl(x_cl),
                        **{f'int8_{m}': (lambda f=f: f(x)) for m, f in forms.items()}},
                       args.reps)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        med['int8'] = med[f'int8_{int8.exact_path}']
        best_fp = min(med['fp32_nchw'], med['fp32_cl'])
        e2e = best_fp / med['int8']
        # one body layer alone: 64->64 3x3 at the LR size (signed input)
        conv = QuantConv2d(64, 64, 3, padding=1, bits=8)
        conv_cl = torch.nn.Conv2d(64, 64, 3, padding=1).to(memory_format=torch.channels_last)
        qconvs = {m: Int8Conv2d(conv, 0.05, mode=m) for m in ('direct', 'safe')}
        h = torch.randn(1, 64, args.size, args.size)
        h_cl = h.contiguous(memory_format=torch.channels_last)
        hq = quantize_act(h_cl, 0.05)
        plain = torch.nn.Conv2d(64, 64, 3, padding=1)
        lt = timeit({'fp32_nchw': lambda: plain(h), 'fp32_cl': lambda: conv_cl(h_cl),
                     **{f'int8_{m}': (lambda q=q: q(hq)) for m, q in qconvs.items()}},
                    args.reps * 5)
        lmed = {k: statistics.median(v) * 1e6 for k, v in lt.items()}
        lmed['int8'] = lmed[f'int8_{int8.exact_path}']
        layer = min(lmed['fp32_nchw'], lmed['fp32_cl']) / lmed['int8']
    s8 = storage_report(fake8)
    s4 = storage_report(build_pams_edsr(4))
    r8 = s8['quantized_fp32'] / s8['quantized_packed']
    r4 = s4['quantized_fp32'] / s4['quantized_packed']
    print(f'end to end: FP32 NCHW {med["fp32_nchw"]:.1f} ms, '
          f'FP32 channels-last {med["fp32_cl"]:.1f} ms, '
          f'int8 direct {med["int8_direct"]:.1f} ms ({best_fp / med["int8_direct"]:.2f}x), '
          f'int8 safe {med["int8_safe"]:.1f} ms ({best_fp / med["int8_safe"]:.2f}x) -> '
          f'{int8.exact_path}: {e2e:.2f}x faster (goal >= {GOALS["e2e"]}x)')
    print(f'one 64->64 3x3 layer: FP32 NCHW {lmed["fp32_nchw"]:.0f} us, channels-last '
          f'{lmed["fp32_cl"]:.0f} us, int8 direct {lmed["int8_direct"]:.0f} us, int8 safe '
          f'{lmed["int8_safe"]:.0f} us -> {int8.exact_path}: {layer:.2f}x '
          f'(goal >= {GOALS["layer"]}x)')
    print(f'int8 vs fake-quantized output, max |diff| (pixel range 0..1, one level = 3.9e-03): '
          f'direct {diffs["direct"]:.2e}, safe {diffs["safe"]:.2e} -> {int8.exact_path}: '
          f'{diff:.2e}')
    print(f'quantized conv weights: FP32 {s8["quantized_fp32"] / 1e6:.2f} MB -> 8-bit '
          f'{s8["quantized_packed"] / 1e6:.3f} MB ({r8:.2f}x, goal >= {GOALS["store8"]}x), '
          f'4-bit packed {s4["quantized_packed"] / 1e6:.3f} MB '
          f'({r4:.2f}x, goal >= {GOALS["store4"]}x)')
    print(f'whole model (head/tail/biases FP32, the paper\'s compression ratio): '
          f'8-bit {s8["model_fp32"] / s8["model_packed"]:.2f}x, '
          f'4-bit {s4["model_fp32"] / s4["model_packed"]:.2f}x')
    ok = (e2e >= GOALS['e2e'] and layer >= GOALS['layer'] and r8 >= GOALS['store8']
          and r4 >= GOALS['store4'])
    print('all goals met' if ok else 'GOAL MISSED')
    return 0 if ok else 1


def _plain_fp(pams_net):
    """The same EDSR with plain FP32 convs and no quantizers (the baseline)."""
    from mmagic.models.archs import ResidualBlockNoBN
    for i, block in enumerate(pams_net.body):
        plain = ResidualBlockNoBN(block.conv1.in_channels, block.res_scale)
        plain.conv1.weight, plain.conv1.bias = block.conv1.weight, block.conv1.bias
        plain.conv2.weight, plain.conv2.bias = block.conv2.weight, block.conv2.bias
        pams_net.body[i] = plain
    return pams_net.eval()


if __name__ == '__main__':
    sys.exit(main())
