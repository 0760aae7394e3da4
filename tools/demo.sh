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

section "1/1 full-precision CIFAR ResNet-20 on scikit-learn digits (tools/train.py + tools/test.py)"
CFG=configs/demo/resnet20_1xb64-15e_digits.py
"$PYTHON" tools/train.py "$CFG" --work-dir "$OUT/resnet20_digits"
"$PYTHON" tools/test.py "$CFG" "$OUT/resnet20_digits/epoch_15.pth" \
    --work-dir "$OUT/resnet20_digits" --out "$OUT/resnet20_digits/test_metrics.json"
"$PYTHON" - "$OUT/resnet20_digits/test_metrics.json" >> "$SUMMARY" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"ResNet-20 (FP32) on digits, held-out top-1: {m['accuracy/top1']:.2f}%")
PY

echo
echo "=== [demo] summary ($(( $(date +%s) - t0 )) s) ==="
cat "$SUMMARY"
