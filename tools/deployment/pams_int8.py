"""Export a trained PAMS EDSR or RDN to packed weights and, at 8 bits, to int8; check both.

    python tools/deployment/pams_int8.py CONFIG CHECKPOINT --out DIR [--json FILE]

Writes ``DIR/packed.pth`` (bit-packed quantized weights + FP32 head/tail;
``projects/pams/deploy.py:export_packed``; 2/4/8-bit models) and evaluates, on
the config's test images, the fake-quantized model and, for an 8-bit model, the
int8 model (``Int8EDSR`` / ``Int8RDN`` on torch's x86 integer kernels; EDSR's
body in the form a short timing finds fastest on this CPU among the exact ones,
which can be FP32 convs on the int8 weights where the int8 kernels are slower,
reported with its timings and cached in ``~/.cache/mmlean``): PSNR-Y of each,
their largest pixel difference, and the weight storage. A 4-bit model
has no int8 form (its report says so); its packed file is its deployment.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--json', help='write the report here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override settings of the config(s), '
                        'e.g. test_dataloader.dataset.data_root=...')
    args = parser.parse_args()
    import io

    import numpy as np
    import torch

    import mmlean.projects.pams  # noqa: F401
    from mmlean.compat.atomic_write import atomic_write_bytes
    from mmlean.projects.pams.deploy import Int8EDSR, export_packed, storage_report
    from mmlean.projects.pams.inference import load_restorer, psnr_y, super_resolve, test_pairs
    from mmlean.projects.pams.int8_rdn import Int8RDN

    cfg, model = load_restorer(args.config, args.checkpoint, args.cfg_options)
    if type(model).__name__ != 'PAMS':
        sys.exit(f'{args.config}: model.type is {type(model).__name__}; expected a PAMS config')
    scale = cfg.model.generator.upscale_factor
    fake = model.generator
    int8_class = Int8RDN if type(fake).__name__ == 'RDNNet' else Int8EDSR
    int8 = int8_class(fake) if model.bits == 8 else None
    os.makedirs(args.out, exist_ok=True)
    packed_path = osp.join(args.out, 'packed.pth')
    buffer = io.BytesIO()
    torch.save(export_packed(fake), buffer)
    atomic_write_bytes(buffer.getvalue(), packed_path)
    report = dict(config=args.config, checkpoint=args.checkpoint, bits=model.bits,
                  engine=int8.engine if int8 else None, packed_file=packed_path,
                  packed_file_bytes=osp.getsize(packed_path), storage=storage_report(fake),
                  images={})
    for name, lr, gt in test_pairs(cfg):
        sr_fake = super_resolve(fake, lr)
        entry = report['images'][name] = dict(psnr_fake_quant=psnr_y(sr_fake, gt, scale))
        if int8 is not None:
            sr_int8 = super_resolve(int8, lr)
            entry.update(psnr_int8=psnr_y(sr_int8, gt, scale), max_pixel_diff=int(
                np.abs(sr_fake.astype(int) - sr_int8.astype(int)).max()))
    for key in ('psnr_fake_quant', 'psnr_int8') if int8 is not None else ('psnr_fake_quant', ):
        report[key] = float(np.mean([v[key] for v in report['images'].values()]))
    if int8 is None:
        print(f'PAMS {model.bits}-bit: PSNR-Y fake-quant {report["psnr_fake_quant"]:.3f} dB; '
              'no int8 form below 8 bits (the packed file is the deployment)')
    else:
        report['max_pixel_diff'] = max(v['max_pixel_diff'] for v in report['images'].values())
        print(f'PAMS {model.bits}-bit -> int8 ({int8.engine}): '
              f'PSNR-Y fake-quant {report["psnr_fake_quant"]:.3f} dB, '
              f'int8 {report["psnr_int8"]:.3f} dB, '
              f'max pixel difference {report["max_pixel_diff"]} (of 255)')
        if hasattr(int8, 'describe_forms'):  # EDSR: the form timed fastest on this CPU
            report['forms'] = int8.forms
            print(int8.describe_forms())
    s = report['storage']
    print(f'weights: quantized convs {s["quantized_fp32"] / 1e3:.0f} kB FP32 -> '
          f'{s["quantized_packed"] / 1e3:.0f} kB '
          f'({s["quantized_fp32"] / s["quantized_packed"]:.2f}x); '
          f'whole model {s["model_fp32"] / 1e3:.0f} kB -> '
          f'{s["model_packed"] / 1e3:.0f} kB ({s["model_fp32"] / s["model_packed"]:.2f}x); '
          f'{packed_path}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
