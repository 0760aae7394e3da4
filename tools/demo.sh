#!/usr/bin/env bash
# The README's main job, on data that ships with installed packages (no
# downloads): train, compress and evaluate small real models on the CPU.
# Run it through `make demo` (which sets up .venv first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"
OUT="${DEMO_WORK_DIR:-work_dirs/demo}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
t0=$(date +%s)

section() { echo; echo "=== [demo] $* ==="; }

section "1/4 full-precision CIFAR ResNet-20 on scikit-learn digits (tools/train.py + tools/test.py)"
CFG=configs/demo/resnet20_1xb64-15e_digits.py
"$PYTHON" tools/train.py "$CFG" --work-dir "$OUT/resnet20_digits"
"$PYTHON" tools/test.py "$CFG" "$OUT/resnet20_digits/epoch_15.pth" \
    --work-dir "$OUT/resnet20_digits" --out "$OUT/resnet20_digits/test_metrics.json"
"$PYTHON" - "$OUT/resnet20_digits/test_metrics.json" >> "$SUMMARY" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"ResNet-20 (FP32) on digits, held-out top-1: {m['accuracy/top1']:.2f}%")
PY

section "2/4 RBNN: binary ResNet-20 on digits, its twins, and the bit-packed deploy model"
acc() {  # config work_dir label
  "$PYTHON" tools/train.py "$1" --work-dir "$2"
  "$PYTHON" tools/test.py "$1" "$2/epoch_40.pth" --work-dir "$2" --out "$2/test_metrics.json"
  "$PYTHON" -c "import json,sys; print(f'{sys.argv[2]}: {json.load(open(sys.argv[1]))[\"accuracy/top1\"]:.2f}%')" \
      "$2/test_metrics.json" "$3" >> "$SUMMARY"
}
acc configs/rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py "$OUT/rbnn_digits" \
    "RBNN ResNet-20 (1-bit weights and activations) on digits, held-out top-1"
acc configs/rbnn/bnn_resnet20-1w1a_1xb64-40e_digits.py "$OUT/bnn_digits" \
    "  plain sign/STE binary twin (no rotation, no k/t schedule)       "
acc configs/rbnn/resnet20-fp_1xb64-40e_digits.py "$OUT/fp_digits" \
    "  full-precision twin                                             "
"$PYTHON" tools/deployment/binary_deploy.py configs/rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py \
    "$OUT/rbnn_digits/epoch_40.pth" --out "$OUT/rbnn_digits/deploy.pth" --eval \
    --json "$OUT/rbnn_digits/deploy.json"
"$PYTHON" - "$OUT/rbnn_digits/deploy.json" >> "$SUMMARY" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"RBNN bit-packed deploy model (mmlean._ext XNOR-popcount): top-1 "
      f"{d['deploy']['accuracy/top1']:.2f}% (simulated {d['simulated']['accuracy/top1']:.2f}%), "
      f"{d['converted_layers']} binary convs, file {d['deploy_bytes'] / 1e3:.0f} kB")
PY

section "3/4 HRank: rank the filters of the digits ResNet-20, prune to ~half its FLOPs, fine-tune, export"
HR="$OUT/hrank_digits"
HCFG=configs/hrank/hrank_resnet20_1xb64-10e_digits.py
FP_CKPT="$OUT/resnet20_digits/epoch_15.pth"
"$PYTHON" tools/analysis_tools/hrank_ranks.py "$HCFG" "$FP_CKPT" --out "$HR/ranks.json" \
    --plot "$HR/ranks.png"
"$PYTHON" tools/train.py "$HCFG" --work-dir "$HR" --cfg-options \
    model.rank_file="$HR/ranks.json" model.architecture.init_cfg.checkpoint="$FP_CKPT"
"$PYTHON" tools/deployment/hrank_export.py "$HCFG" "$HR/epoch_12.pth" --out "$HR/pruned.pth" \
    --eval --json "$HR/export.json"
"$PYTHON" - "$HR/export.json" "$OUT/resnet20_digits/test_metrics.json" >> "$SUMMARY" <<'PY'
import json, sys
d, base = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"HRank ResNet-20 on digits, physically pruned: top-1 {d['pruned']['accuracy/top1']:.2f}% "
      f"(unpruned {base['accuracy/top1']:.2f}%), conv+linear MACs {d['macs_before'] / 1e6:.1f}M -> "
      f"{d['macs_after'] / 1e6:.1f}M, params {d['params_before'] / 1e3:.0f}k -> {d['params_after'] / 1e3:.0f}k")
PY

section "4/4 PAMS: small EDSR x2 on scikit-image photographs, quantized to 8 and 4 bits, deployed as int8"
PD="$OUT/pams"
SR_DATA="$PD/skimage_sr"
"$PYTHON" tools/dataset_converters/skimage_sr.py --out "$SR_DATA" --scale 2
FPC=configs/pams/demo/edsr-fp_x2c32b4_1xb16-1k_skimage.py
W8C=configs/pams/demo/pams_edsr-x2c32b4-w8a8_1xb16-300_skimage.py
W4C=configs/pams/demo/pams_edsr-x2c32b4-w4a4_1xb16-300_skimage.py
DATA_OPTS=(train_dataloader.dataset.data_root="$SR_DATA/train" test_dataloader.dataset.data_root="$SR_DATA/test"
           val_dataloader.dataset.data_root="$SR_DATA/test")
"$PYTHON" tools/train.py "$FPC" --work-dir "$PD/fp" --cfg-options "${DATA_OPTS[@]}"
for B in 8 4; do
  CFG=$W8C; [ "$B" = 4 ] && CFG=$W4C
  "$PYTHON" tools/train.py "$CFG" --work-dir "$PD/w$B" --cfg-options "${DATA_OPTS[@]}" \
      model.fp_checkpoint="$PD/fp/iter_1000.pth"
done
# PSNR-Y (border = scale) of bicubic and the three models on the held-out photographs, and crops
"$PYTHON" tools/analysis_tools/pams_compare.py "$FPC" "$PD/fp/iter_1000.pth" "$W8C" "$PD/w8/iter_300.pth" \
    "$W4C" "$PD/w4/iter_300.pth" --out "$PD/compare.png" --json "$PD/compare.json" \
    --cfg-options "${DATA_OPTS[@]}"
"$PYTHON" tools/deployment/pams_int8.py "$W8C" "$PD/w8/iter_300.pth" --out "$PD/int8" \
    --json "$PD/int8/report.json" --cfg-options "${DATA_OPTS[@]}"
"$PYTHON" - "$PD" >> "$SUMMARY" <<'PY'
import json, sys
d = sys.argv[1]
psnr = json.load(open(f'{d}/compare.json'))['mean_psnr_y']
fp, w8, w4, bic = (psnr[k] for k in ('FP32', 'PAMS 8-bit', 'PAMS 4-bit', 'bicubic'))
dep = json.load(open(f'{d}/int8/report.json'))
s = dep['storage']
print(f"PAMS EDSR x2 (32 ch, 4 blocks) on held-out scikit-image photographs, PSNR-Y: FP32 {fp:.2f} dB, "
      f"8-bit {w8:.2f} dB ({w8 - fp:+.2f}), 4-bit {w4:.2f} dB ({w4 - fp:+.2f}); bicubic {bic:.2f} dB")
forms = dep.get('forms') or []
form = max(set(forms), key=forms.count) if forms else 'int8'
print(f"  deployment (torch {dep['engine']} kernels, body as {form}, the fastest exact form timed "
      f"here): {dep['psnr_int8']:.2f} dB, max pixel difference "
      f"{dep['max_pixel_diff']}/255 vs fake-quant; quantized weights {s['quantized_fp32'] / s['quantized_packed']:.2f}x "
      f"smaller; crops in {d}/compare.png")
PY

echo
echo "=== [demo] summary ($(( $(date +%s) - t0 )) s) ==="
cat "$SUMMARY"
