#!/usr/bin/env bash
# Download the wheels that tools/gpu_check.py needs on a GPU machine that has its own
# Python 3.12, torch, numpy, opencv, scipy, scikit-learn/-image, matplotlib and pandas but no
# network: the OpenMMLab packages and the small packages they import at run time, pinned to
# the versions of .venv. Pure-Python wheels, plus cp312 manylinux wheels for the three
# compiled ones (pycocotools, shapely, tokenizers). mmcv has no wheel for that torch:
# mmcv-lite (same version, no compiled ops) stands in, so the checks that need mmcv ops
# (mmdet.models, mmagic.models: IFF, PAMS on EDSR/RDN) are reported as skipped there.
#
#   tools/gpu_wheels.sh [DIR]      # default DIR: .whl (ignored by git; carry it)
#
# On the device:
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#     --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/.whl}"
PIP="${PIP:-python3 -m pip}"
LIMIT_MIB="${LIMIT_MIB:-60}"
WHEELS=(
  # the OpenMMLab stack (mmcv: the ops-less mmcv-lite of the same version)
  mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0 mmrazor==1.0.0 mmdet==3.3.0
  mmagic==1.2.0
  # what they import at run time and the device image lacks (or has in a breaking version)
  addict==2.4.0 yapf==0.43.0 platformdirs==4.3.6 termcolor==2.5.0 terminaltables==3.1.10
  model-index==0.1.11 modelindex==0.0.2 ordered-set==4.1.0 mat4py==0.6.0
  importlib-metadata==8.5.0 pycocotools==2.0.8 shapely==2.0.6
  # mmagic's subset (requirements/mmagic.txt): the device's transformers / hub are too new
  diffusers==0.24.0 transformers==4.38.2 huggingface-hub==0.25.2 tokenizers==0.15.2
  lpips==0.1.4 resize-right==0.0.2
  # HRank (physical pruning, FLOPs) and ABanditNAS (robust accuracy)
  torch-pruning==1.6.1 ptflops==0.7.5 torchattacks==3.5.1
)
mkdir -p "$DIR"
echo "[gpu_wheels] downloading ${#WHEELS[@]} wheels into $DIR"
# shellcheck disable=SC2086
$PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d "$DIR" "${WHEELS[@]}"
ls -1 "$DIR"
bytes=$(du -cb "$DIR"/*.whl | tail -n1 | cut -f1)
mib=$(( (bytes + 1048575) / 1048576 ))
echo "[gpu_wheels] $(ls "$DIR"/*.whl | wc -l) wheels, ${mib} MiB in $DIR"
if [ "$mib" -gt "$LIMIT_MIB" ]; then
  echo "[gpu_wheels] error: ${mib} MiB is over the ${LIMIT_MIB} MiB limit (64 MiB travel with the repo)" >&2
  exit 1
fi
