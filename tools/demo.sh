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

section "1/3 full-precision CIFAR ResNet-20 on scikit-learn digits (tools/train.py + tools/test.py)"
CFG=configs/demo/resnet20_1xb64-15e_digits.py
"$PYTHON" tools/train.py "$CFG" --work-dir "$OUT/resnet20_digits"
"$PYTHON" tools/test.py "$CFG" "$OUT/resnet20_digits/epoch_15.pth" \
    --work-dir "$OUT/resnet20_digits" --out "$OUT/resnet20_digits/test_metrics.json"
"$PYTHON" - "$OUT/resnet20_digits/test_metrics.json" >> "$SUMMARY" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"ResNet-20 (FP32) on digits, held-out top-1: {m['accuracy/top1']:.2f}%")
PY

section "2/3 RBNN: binary ResNet-20 on digits, its twins, and the bit-packed deploy model"
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

section "3/3 HRank: rank the filters of the digits ResNet-20, prune to ~half its FLOPs, fine-tune, export"
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

echo
echo "=== [demo] summary ($(( $(date +%s) - t0 )) s) ==="
cat "$SUMMARY"
