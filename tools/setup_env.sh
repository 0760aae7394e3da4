#!/usr/bin/env bash
# Create .venv with the pinned OpenMMLab stack and install mmlean (with its
# compiled ops) in editable mode. Safe to run again: finished steps are skipped.
#
# Environment:
#   MMLEAN_TORCH   torch requirement(s) to use instead of requirements/torch.txt,
#                  e.g. MMLEAN_TORCH="torch==2.5.1 torchvision==0.20.1"
#   PYTHON         interpreter used to create .venv (default: python3)
#   VENV           where to create the environment (default: .venv)
#   FORCE_CUDA     1: build mmlean's CUDA kernels even without a GPU; 0: CPU only
#   MAX_JOBS       parallel compile jobs (default: number of cores)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
REQ=requirements
CONSTRAINTS="$ROOT/$REQ/constraints.txt"
export MAX_JOBS="${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

CURRENT_STEP=""
t_start=$(date +%s)
step() { CURRENT_STEP="$1"; echo "[setup_env] $(( $(date +%s) - t_start ))s  $1"; }
die() { echo "[setup_env] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && echo "[setup_env] ERROR: step failed: ${CURRENT_STEP} (exit $rc). See the output above." >&2' EXIT

step "checking the tools"
command -v "$PYTHON" >/dev/null || die "'$PYTHON' not found. Install Python 3.8-3.11 or set PYTHON=/path/to/python."
"$PYTHON" - <<'PY' || die "Python 3.8-3.11 is needed (mmcv 2.1.0 / mmrazor 1.0.0); set PYTHON=/path/to/python3.11."
import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 11) else 1)
PY
command -v g++ >/dev/null || die "no C++ compiler (g++) found: mmcv and mmlean compile C++ ops. Install g++ (e.g. apt install g++)."

TORCH_SPEC="${MMLEAN_TORCH:-$(grep -v '^\s*#' $REQ/torch.txt | xargs)}"
stack_hash=$( (cat $REQ/*.txt; echo "$TORCH_SPEC") | sha256sum | cut -c1-16)
ext_hash=$( (cat setup.py mmlean/version.py; find mmlean/ops/csrc -type f 2>/dev/null | sort | xargs cat 2>/dev/null; echo "${FORCE_CUDA:-}") | sha256sum | cut -c1-16)

if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install -c "$CONSTRAINTS")

if [ "$(cat "$VENV/.mmlean-stack" 2>/dev/null)" != "$stack_hash" ]; then
  step "installing build tools (setuptools<81, wheel, ninja)"
  "${PIP[@]}" -r $REQ/build.txt
  step "installing torch: $TORCH_SPEC"
  # shellcheck disable=SC2086
  "${PIP[@]}" $TORCH_SPEC
  step "installing mmengine and runtime requirements"
  "${PIP[@]}" -r $REQ/runtime.txt
  if ! "$PY" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
    step "building mmcv 2.1.0 from source with ops (8-11 minutes on 2 cores the first time; pip caches the wheel)"
    MMCV_WITH_OPS=1 CXX="$ROOT/tools/cxx20.sh" "${PIP[@]}" --no-build-isolation mmcv==2.1.0
  fi
  step "installing mmdet, mmpretrain, mmrazor"
  "${PIP[@]}" -r $REQ/mmlab.txt
  step "installing mmagic 1.2.0 (--no-deps) and the subset of its requirements it needs"
  "${PIP[@]}" --no-deps mmagic==1.2.0
  "${PIP[@]}" $(grep -v -e '^\s*#' -e '^mmagic' $REQ/mmagic.txt | xargs)
  step "installing test tools"
  "${PIP[@]}" -r $REQ/tests.txt
  echo "$stack_hash" > "$VENV/.mmlean-stack"
  rm -f "$VENV/.mmlean-ext"
else
  step "pinned stack already installed in $VENV (requirements unchanged)"
fi

if [ "$(cat "$VENV/.mmlean-ext" 2>/dev/null)" != "$ext_hash" ] || ! "$PY" -c "import mmlean" >/dev/null 2>&1; then
  step "installing mmlean (editable) and building mmlean._ext"
  "${PIP[@]}" --no-build-isolation --no-deps --use-pep517 -e .
  echo "$ext_hash" > "$VENV/.mmlean-ext"
else
  step "mmlean already installed and its compiled ops are up to date"
fi

step "checking the environment"
"$PY" -m mmlean.utils.collect_env --short
step "done: activate with 'source $VENV/bin/activate'"
