#!/usr/bin/env bash
# Compile mmlean._ext with its CUDA kernels (FORCE_CUDA=1) in a scratch build
# folder, to show the CUDA sources compile on a machine with nvcc and a CUDA
# build of torch, even without a GPU. The installed extension is not touched. The CPU
# kernels (compiled and tested by `make env` / `make test`) are left out of this build
# (MMLEAN_COMPILE_CHECK_CUDA=1), so it takes the CUDA sources' time only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"
command -v nvcc >/dev/null || { echo "[cuda_build_check] no nvcc on PATH: cannot compile CUDA sources" >&2; exit 1; }
"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.version.cuda else 1)" || {
  echo "[cuda_build_check] this torch is a CPU-only build: cannot compile CUDA sources" >&2; exit 1; }
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
echo "[cuda_build_check] building mmlean._ext with FORCE_CUDA=1 in $SCRATCH"
MMLEAN_COMPILE_CHECK_CUDA=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" \
  "$PYTHON" setup.py -q build_ext --build-temp "$SCRATCH/tmp" --build-lib "$SCRATCH/lib"
so=$(find "$SCRATCH/lib" -name '_ext*.so' | head -n1)
[ -n "$so" ] || { echo "[cuda_build_check] no extension was produced" >&2; exit 1; }
symbols=$(nm -C "$so")
for fn in sign_pack_cuda binary_conv2d_cuda; do
  grep -q "$fn" <<<"$symbols" || { echo "[cuda_build_check] $so lacks $fn" >&2; exit 1; }
done
echo "[cuda_build_check] OK: $(basename "$so") contains the CUDA kernels (sign_pack_cuda, binary_conv2d_cuda)"
