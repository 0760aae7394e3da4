"""PAMS deployment: int8 EDSR x4 against FP32 EDSR x4 on the CPU, in the same run.

    python tools/benchmark/pams_int8.py [--threads 1] [--reps 20] [--checkpoint PAMS_CKPT]
        [--fp-checkpoint FP_EDSR_X4_CKPT] [--rdn-reps 3 | --no-rdn]

EDSR-baseline x4 (64 channels, 16 blocks; mmagic's EDSRNet), 64x64 LR input,
batch 1. The FP32 baseline is timed in both layouts and the faster one
counts. The int8 model (projects/pams/deploy.py: int8 body on torch's x86
engine, FP32 head/tail as PAMS trains them) is built from an 8-bit PAMS
model: a trained checkpoint if given, else random FP weights with alpha
calibrated on random images (speed depends on shapes, not on values). Also
reports one 64->64 3x3 conv layer alone, the int8 model's deviation from the
fake-quantized model it came from, and weight storage at 8 and 4 bits.

All three body forms are timed (projects/pams/deploy.py): 'direct' (plain int8
convs, exact only where the kernels accumulate without int16 saturation, i.e.
with VNNI), 'safe' (split weights on the first conv of each block, zero point 0
between the convs: exact on every x86 CPU) and 'float' (FP32 convs on the
dequantized int8 weights, activations rounded onto the same grids); the goals
are checked on the form that 'auto' picks on this machine by its own short
timing at build time (cached), which is the one deployment uses, and the
script says whether that choice is slower than FP32.
Goals (perf anchors G9-G11): end to end >= 1.5x, layer >= 2.5x, quantized
weights >= 3.5x smaller at 8 bits and >= 7x at 4 bits.

Beyond PAMS (which keeps them FP32): the upsampler and the last conv in int8
as well (``Int8EDSR(int8_tail=True)``, post-training quantized from the LR
versions of the README demo's four training photographs), with 8-bit
activations and weights ('direct' / 'safe' like the body) and the two
variants that cannot saturate without VNNI (7-bit weights, or 7-bit
activations). PSNR-Y (border 4, uint8 outputs) on the demo's test photographs
(chelsea, coffee; x4 MATLAB-like bicubic LR) for the fake-quantized model and
every int8 form. ``--fp-checkpoint`` takes a trained FP EDSR x4 (e.g.
configs/pams/demo/edsr-fp_x4c64b16_1xb16-300_skimage.py), quantized to 8 bits
with alpha calibrated on the calibration photographs (no PAMS training);
with random weights the PSNR figures only show deviations. Goal (issue):
body + upsampler + tail >= 2.4x with PSNR-Y within 0.05 dB of the
fake-quantized model. The script also prints this core's peak int8 and FP32
multiply-accumulate rates (``mmlean.ops.mac_peak``): their ratio bounds any
int8-vs-FP32 speed-up on this CPU.

RDN x4 (the paper's: 16 blocks of 8 dense layers, 64 channels, growth 64;
mmagic's RDNNet), int8 (``Int8RDN``) against FP32, timed the same way with
``--rdn-reps`` repetitions of one call each.
"""
import argparse
import os.path as osp
import statistics
import sys
import warnings

import numpy as np
import torch

from mmlean.utils.benchmark import timeit
from mmlean.utils.scripts import load_script

GOALS = dict(e2e=1.5, layer=2.5, store8=3.5, store4=7.0, tail=2.4, tail_psnr=0.05)


EDSR_X4 = dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=64, num_blocks=16,
               upscale_factor=4, res_scale=1, rgb_mean=[0.4488, 0.4371, 0.4040],
               rgb_std=[1.0, 1.0, 1.0])
RDN_X4 = dict(type='RDNNet', in_channels=3, out_channels=3, mid_channels=64, num_blocks=16,
              num_layers=8, channel_growth=64, upscale_factor=4)


def build(cfg, bits=None, checkpoint=None, fp_checkpoint=None, calib=None):
    """An mmagic SR net: FP32 (bits None) or PAMS-quantized with alpha calibrated on ``calib``."""
    from mmagic.registry import MODELS
    from mmengine.registry import init_default_scope

    import mmlean.projects.pams as pams
    init_default_scope('mmagic')
    torch.manual_seed(0)
    net = MODELS.build(cfg).eval()
    if fp_checkpoint:
        net.load_state_dict(pams.generator_state(fp_checkpoint), strict=True)
    if bits is None:
        return net
    pams.quantize_sr_generator(net, bits)
    if checkpoint:
        net.load_state_dict(pams.generator_state(checkpoint), strict=True)
        return net
    pams.set_calibrating(net, True)
    with torch.no_grad():
        for x in calib if calib is not None else [torch.rand(2, 3, 48, 48)]:
            net(x)
    pams.set_calibrating(net, False)
    return net


def build_pams_edsr(bits, checkpoint=None):
    return build(EDSR_X4, bits, checkpoint)


def demo_photos(scale):
    """LR tensors of the demo's training photos (calibration) and (LR, HR) of its test photos.

    The README demo's photographs and degradation
    (tools/dataset_converters/skimage_sr.py): MATLAB-like bicubic x``scale``.
    """
    path = osp.join(osp.dirname(__file__), '..', 'dataset_converters', 'skimage_sr.py')
    conv = load_script(path, 'skimage_sr')

    def tensor(img):
        return torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]

    calib = [tensor(conv.downsample(conv.load_photo(n), scale)) for n in conv.TRAIN_PHOTOS]
    test = []
    for name in conv.TEST_PHOTOS:
        hr = conv.load_photo(name)
        h, w = (s - s % 12 for s in hr.shape[:2])
        hr = np.ascontiguousarray(hr[:h, :w])
        test.append((tensor(conv.downsample(hr, scale)), hr))
    return calib, test


def psnr_y(out, hr, scale):
    """PSNR on Y (MATLAB's conversion), border ``scale``, of the uint8 image of ``out``."""
    from mmagic.evaluation.metrics import psnr
    img = (out[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    return psnr(img, hr, crop_border=scale, convert_to='Y')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--size', type=int, default=64, help='LR input height and width')
    parser.add_argument('--checkpoint', help='a trained 8-bit PAMS EDSR x4 checkpoint')
    parser.add_argument('--fp-checkpoint', help='a trained FP EDSR x4 checkpoint (quantized here)')
    parser.add_argument('--rdn-reps', type=int, default=3)
    parser.add_argument('--no-rdn', action='store_true', help='skip RDN')
    args = parser.parse_args()
    warnings.filterwarnings('ignore', category=UserWarning)
    warnings.filterwarnings('ignore', category=FutureWarning)
    torch.set_num_threads(args.threads)
    from mmlean.projects.pams.deploy import Int8EDSR, storage_report
    from mmlean.quant import QuantConv2d
    from mmlean.quant.int8 import FloatConvOnCodes, Int8Conv2d, quantize_act, round_to_grid_

    calib, photos = demo_photos(4)
    fake8 = build(EDSR_X4, 8, args.checkpoint, args.fp_checkpoint, calib)
    int8 = Int8EDSR(fake8, timing_size=args.size)
    tail = dict(int8_tail=True, calib=calib)
    forms = {mode: Int8EDSR(fake8, mode=mode) for mode in ('direct', 'safe', 'float')}
    forms.update({f'tail_{mode}': Int8EDSR(fake8, mode=mode, **tail)
                  for mode in ('direct', 'safe')})
    forms['tail_w7'] = Int8EDSR(fake8, tail_weight_bits=7, **tail)
    forms['tail_a7'] = Int8EDSR(fake8, tail_act_bits=7, **tail)
    fp_net = _plain_fp(build_pams_edsr(8))  # same shapes; run as plain FP32 below
    fp_cl = _plain_fp(build_pams_edsr(8)).to(memory_format=torch.channels_last)
    x = torch.rand(1, 3, args.size, args.size)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    picked, exact_int8 = int8.exact_path, int8.int8_form
    print(f'engine {int8.engine}, {torch.get_num_threads()} thread(s), torch {torch.__version__}, '
          f'EDSR x4 64c16b, input 1x3x{args.size}x{args.size}; exact int8 form here: '
          f'{exact_int8}; form chosen by auto: {picked} ({int8.describe_forms()})')
    with torch.no_grad():
        ref = fake8(x)
        diffs = {m: (f(x).clamp(0, 1) - ref.clamp(0, 1)).abs().max().item()
                 for m, f in forms.items()}
        diff = diffs[picked]
        times = timeit({'fp32_nchw': lambda: fp_net(x), 'fp32_cl': lambda: fp_cl(x_cl),
                        **{f'int8_{m}': (lambda f=f: f(x)) for m, f in forms.items()}},
                       args.reps)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        med['int8'] = med[f'int8_{picked}']
        best_fp = min(med['fp32_nchw'], med['fp32_cl'])
        e2e = best_fp / med['int8']
        ratio = {k: best_fp / v for k, v in med.items()}
        # one body layer alone: 64->64 3x3 at the LR size (signed input)
        conv = QuantConv2d(64, 64, 3, padding=1, bits=8)
        conv_cl = torch.nn.Conv2d(64, 64, 3, padding=1).to(memory_format=torch.channels_last)
        qconvs = {m: Int8Conv2d(conv, 0.05, mode=m) for m in ('direct', 'safe')}
        fconv = FloatConvOnCodes(conv)
        h = torch.randn(1, 64, args.size, args.size)
        h_cl = h.contiguous(memory_format=torch.channels_last)
        hq = quantize_act(h_cl, 0.05)
        plain = torch.nn.Conv2d(64, 64, 3, padding=1)
        lt = timeit({'fp32_nchw': lambda: plain(h), 'fp32_cl': lambda: conv_cl(h_cl),
                     **{f'int8_{m}': (lambda q=q: q(hq)) for m, q in qconvs.items()},
                     'int8_float': lambda: round_to_grid_(fconv(h_cl), 0.05, -127, 127)},
                    args.reps * 5)
        lmed = {k: statistics.median(v) * 1e6 for k, v in lt.items()}
        lmed['int8'] = lmed[f'int8_{picked}']
        layer = min(lmed['fp32_nchw'], lmed['fp32_cl']) / lmed['int8']
    s8 = storage_report(fake8)
    s4 = storage_report(build_pams_edsr(4))
    r8 = s8['quantized_fp32'] / s8['quantized_packed']
    r4 = s4['quantized_fp32'] / s4['quantized_packed']
    print(f'end to end: FP32 NCHW {med["fp32_nchw"]:.1f} ms, '
          f'FP32 channels-last {med["fp32_cl"]:.1f} ms, '
          f'int8 direct {med["int8_direct"]:.1f} ms ({ratio["int8_direct"]:.2f}x), '
          f'int8 safe {med["int8_safe"]:.1f} ms ({ratio["int8_safe"]:.2f}x), '
          f'float-on-int8-weights {med["int8_float"]:.1f} ms ({ratio["int8_float"]:.2f}x) -> '
          f'{picked}: {e2e:.2f}x of the best FP32 (goal >= {GOALS["e2e"]}x)')
    fastest = max(('direct', 'safe', 'float') if exact_int8 == 'direct' else ('safe', 'float'),
                  key=lambda k: ratio['int8_' + k])
    verdict = ('not slower than FP32' if e2e >= 1 else f'{(1 - e2e) * 100:.1f}% slower than FP32')
    print(f'auto chose {picked}: {verdict}; fastest exact form in this timing: {fastest} '
          f'({ratio["int8_" + fastest]:.2f}x)')
    print(f'one 64->64 3x3 layer: FP32 NCHW {lmed["fp32_nchw"]:.0f} us, channels-last '
          f'{lmed["fp32_cl"]:.0f} us, int8 direct {lmed["int8_direct"]:.0f} us, int8 safe '
          f'{lmed["int8_safe"]:.0f} us, float-on-int8-weights {lmed["int8_float"]:.0f} us -> '
          f'{picked}: {layer:.2f}x (goal >= {GOALS["layer"]}x)')
    print(f'int8 vs fake-quantized output, max |diff| (pixel range 0..1, one level = 3.9e-03): '
          f'direct {diffs["direct"]:.2e}, safe {diffs["safe"]:.2e}, float '
          f'{diffs["float"]:.2e} -> {picked}: {diff:.2e}')
    tail_forms = _tail_forms(forms, exact_int8)
    print('body + upsampler + last conv in int8 (beyond PAMS), each vs best FP32 '
          f'({best_fp:.1f} ms): ' + ', '.join(
              f'{label} {med["int8_" + k]:.1f} ms ({ratio["int8_" + k]:.2f}x'
              f'{", split" if forms[k].tail.split else ""})' for k, label in tail_forms.items()))
    psnr = psnr_table(fake8, forms, photos, args.fp_checkpoint)
    auto_tail = f'tail_{exact_int8}'
    d_tail = psnr[auto_tail] - psnr['fake']
    print(f'-> exact on this CPU: body only {ratio["int8"]:.2f}x, body+tail (8/8) '
          f'{ratio["int8_" + auto_tail]:.2f}x with PSNR-Y {d_tail:+.3f} dB vs fake-quantized '
          f'(goal >= {GOALS["tail"]}x within {GOALS["tail_psnr"]} dB); fastest exact tail: '
          + _fastest_exact(forms, exact_int8, ratio, psnr))
    print(f'quantized conv weights: FP32 {s8["quantized_fp32"] / 1e6:.2f} MB -> 8-bit '
          f'{s8["quantized_packed"] / 1e6:.3f} MB ({r8:.2f}x, goal >= {GOALS["store8"]}x), '
          f'4-bit packed {s4["quantized_packed"] / 1e6:.3f} MB '
          f'({r4:.2f}x, goal >= {GOALS["store4"]}x)')
    print(f'whole model (head/tail/biases FP32, the paper\'s compression ratio): '
          f'8-bit {s8["model_fp32"] / s8["model_packed"]:.2f}x, '
          f'4-bit {s4["model_fp32"] / s4["model_packed"]:.2f}x')
    ceiling_report(GOALS['tail'], conv_macs(fp_net, x), best_fp)
    if not args.no_rdn:
        rdn_report(args)
    ok = (e2e >= GOALS['e2e'] and layer >= GOALS['layer'] and r8 >= GOALS['store8']
          and r4 >= GOALS['store4'] and ratio['int8_' + auto_tail] >= GOALS['tail']
          and abs(d_tail) <= GOALS['tail_psnr'])
    print('all goals met' if ok else 'GOAL MISSED')
    return 0 if ok else 1


def conv_macs(net, x):
    """Multiply-accumulates of every conv of ``net`` on input ``x``."""
    total = []

    def count(conv, _, out):
        total.append(out.numel() * conv.in_channels // conv.groups * conv.weight[0, 0].numel())
    hooks = [m.register_forward_hook(count) for m in net.modules()
             if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return sum(total)


def ceiling_report(goal, macs, best_fp_ms):
    """This core's peak int8 and FP32 MAC rates (mmlean.ops.mac_peak), and the bound they put
    on the model: even with every conv MAC on the int8 units at their peak, the int8 model
    takes ``macs / int8 peak``, so it beats the best FP32 time by at most that ratio."""
    from mmlean.ops import cpu_isa
    if cpu_isa() in ('scalar', 'reference'):
        print('MAC-rate ceiling: not measured (needs mmlean._ext on an AVX2 CPU)')
        return
    from mmlean.ops.mac_peak import peak_mac_rates
    wider = _wider_int8_units()
    if wider:
        print(f'MAC-rate ceiling: not a bound on this CPU (it has {", ".join(wider)}, which the '
              '256-bit loops of mmlean.ops.mac_peak do not use)')
        return
    rates = peak_mac_rates()
    fp32 = rates['fp32_fma']
    int8 = max(rates['int8_u8s8'], rates['int8_exact'])
    bound = best_fp_ms / (macs / int8 * 1e3)
    verdict = ('above the bound: unreachable on this CPU with 256-bit int8 instructions'
               if bound < goal else 'below the bound')
    print(f'MAC-rate ceiling of one core (register-only loops, {cpu_isa()}): FP32 FMA '
          f'{fp32 / 1e9:.1f} GMAC/s; int8 u8xs8 pairs {rates["int8_u8s8"] / 1e9:.1f} '
          f'({rates["int8_u8s8"] / fp32:.2f}x, saturates without VNNI), exact sign form '
          f'{rates["int8_exact"] / 1e9:.1f} ({rates["int8_exact"] / fp32:.2f}x); the model\'s '
          f'{macs / 1e9:.2f} GMAC at the int8 peak take >= {macs / int8 * 1e3:.1f} ms vs best '
          f'FP32 {best_fp_ms:.1f} ms -> int8 end to end <= {bound:.2f}x; goal {goal}x is '
          f'{verdict}')


def _wider_int8_units():
    """The CPU flags (Linux /proc/cpuinfo) of int8 units wider or more exact than AVX2's."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = next((line.split(':', 1)[1].split() for line in f
                          if line.startswith('flags')), [])
    except OSError:
        return ['unknown flags (no /proc/cpuinfo)']
    return [f for f in ('avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8') if f in flags]


def _tail_forms(forms, picked):
    return {f'tail_{picked}': f'8-bit acts/weights ({picked})',
            **({'tail_direct': '8/8 direct (inexact without VNNI)'} if picked != 'direct' else {}),
            'tail_w7': '7-bit weights', 'tail_a7': '7-bit acts'}


def _fastest_exact(forms, picked, ratio, psnr):
    exact = [f'tail_{picked}', 'tail_w7', 'tail_a7']
    k = max(exact, key=lambda k: ratio['int8_' + k])
    return f'{k} {ratio["int8_" + k]:.2f}x, PSNR-Y {psnr[k] - psnr["fake"]:+.3f} dB'


@torch.no_grad()
def psnr_table(fake8, forms, photos, fp_checkpoint):
    """PSNR-Y (border 4) on the demo's test photos of bicubic, FP32, fake-quantized and int8."""
    from mmagic.datasets.transforms import MATLABLikeResize
    models = {'fake': fake8, **forms}
    if fp_checkpoint:
        models = {'fp32': build(EDSR_X4, fp_checkpoint=fp_checkpoint), **models}
    scores = {name: [] for name in ['bicubic', *models]}
    for lr, hr in photos:
        img = (lr[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        bic = MATLABLikeResize(keys=['img'], scale=4).transform(dict(img=img))['img']
        bic = torch.from_numpy(np.clip(bic, 0, 255) / 255).permute(2, 0, 1)[None]
        scores['bicubic'].append(psnr_y(bic, hr, 4))
        for name, model in models.items():
            scores[name].append(psnr_y(model(lr), hr, 4))
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    note = '' if fp_checkpoint else ' (random weights: only the deviations mean anything)'
    print('PSNR-Y on chelsea+coffee, x4, border 4' + note + ': ' + ', '.join(
        f'{k} {v:.2f}' + ('' if k in ('bicubic', 'fp32', 'fake') else
                          f' ({v - mean["fake"]:+.3f})') for k, v in mean.items()))
    return mean


def rdn_report(args):
    """RDN x4 int8 (Int8RDN) vs FP32 on one 64x64 input, and its deviation from the fake model."""
    from mmlean.projects.pams.int8_rdn import Int8RDN
    fake = build(RDN_X4, 8)
    forms = {m: Int8RDN(fake, mode=m) for m in ('direct', 'safe', 'float')}
    auto = Int8RDN(fake, timing_size=args.size)
    picked = auto.exact_path
    fp = build(RDN_X4)
    fp_cl = build(RDN_X4).to(memory_format=torch.channels_last)
    x = torch.rand(1, 3, args.size, args.size)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        ref = fake(x)
        diffs = {m: (f(x) - ref).abs().max().item() for m, f in forms.items()}
        times = timeit({'fp32_nchw': lambda: fp(x), 'fp32_cl': lambda: fp_cl(x_cl),
                        **{f'int8_{m}': (lambda f=f: f(x)) for m, f in forms.items()}},
                       args.rdn_reps, warmup=1, block=1)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    best = min(med['fp32_nchw'], med['fp32_cl'])
    print(f'RDN x4 (16 blocks x 8 dense layers, 64c, growth 64), 1x3x{args.size}x{args.size}: '
          f'FP32 NCHW {med["fp32_nchw"]:.0f} ms, channels-last {med["fp32_cl"]:.0f} ms, '
          f'int8 direct {med["int8_direct"]:.0f} ms ({best / med["int8_direct"]:.2f}x), '
          f'int8 safe {med["int8_safe"]:.0f} ms ({best / med["int8_safe"]:.2f}x), '
          f'float-on-int8-weights {med["int8_float"]:.0f} ms ({best / med["int8_float"]:.2f}x) '
          f'-> auto chose {picked} ({best / med["int8_" + picked]:.2f}x; {auto.describe_forms()}); '
          f'max |deployed - fake| direct {diffs["direct"]:.2e}, safe {diffs["safe"]:.2e}, '
          f'float {diffs["float"]:.2e}')


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
