#!/usr/bin/env bash
# ABanditNAS learning check on scikit-learn's digits (no download), one command:
#   bash tools/abanditnas/learning_check.sh [WORK_DIR]
# 1. anti-bandit search (abanditnas_supernet-c8-l6_1xb64-search_digits.py), each path
#    trained on FGSM examples and rewarded with its clean accuracy on 256 images;
# 2. the searched cells trained adversarially, the same network trained clean, and a CIFAR
#    ResNet-20 trained adversarially with the same budget: EPOCHS (30) epochs of PGD-7
#    training (the configs' default), or with TRAIN_ATTACK=fgsm_rs fast adversarial
#    training (FGSM + random start, about a third of the cost);
# 3. each tested clean and under FGSM, MI-FGSM-10, PGD-7, PGD-20 (torchattacks, eps 0.1);
#    a table in WORK_DIR/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
WORK=${1:-work_dirs/abanditnas_learning}
EPOCHS=${EPOCHS:-30}
TRAIN_ATTACK=${TRAIN_ATTACK:-pgd}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$WORK"
CFG=configs/abanditnas
SEARCH=$WORK/search
if [ ! -f "$SEARCH/fix_subnet.yaml" ]; then
  $PY tools/train.py $CFG/abanditnas_supernet-c8-l6_1xb64-search_digits.py --work-dir "$SEARCH" \
    --cfg-options train_cfg.eval_max_iters=2 train_cfg.calibrate_sample_num=128 randomness.seed=0
fi
FAST="max_epochs=$EPOCHS train_cfg.max_epochs=$EPOCHS param_scheduler.1.T_max=$((EPOCHS - 1))
  param_scheduler.1.end=$EPOCHS randomness.seed=0"
if [ "$TRAIN_ATTACK" = fgsm_rs ]; then
  FAST="$FAST model.attack.type=fgsm_rs model.attack.alpha=0.125"
fi
SUBNET="model.architecture.fix_subnet=$SEARCH/fix_subnet.yaml"
run() {  # name config extra-options...
  local name=$1 config=$2; shift 2
  local dir=$WORK/$name
  if [ ! -f "$dir/metrics.json" ]; then
    $PY tools/train.py "$config" --work-dir "$dir" --cfg-options $FAST "$@"
    $PY tools/test.py "$config" "$dir/epoch_$EPOCHS.pth" --work-dir "$dir" \
      --out "$dir/metrics.json" --cfg-options $FAST "$@"
  fi
}
run searched_adv $CFG/abanditnas_c8l6-pgd7_1xb64-30e_digits.py $SUBNET
run searched_clean $CFG/abanditnas_c8l6-pgd7_1xb64-30e_digits.py $SUBNET model.attack=None
run resnet20_adv $CFG/resnet20_pgd7_1xb64-30e_digits.py
$PY - "$WORK" <<'PYEOF'
import json, os.path as osp, sys
work = sys.argv[1]
rows = [('searched cells, adversarial training', 'searched_adv'),
        ('searched cells, clean training', 'searched_clean'),
        ('ResNet-20 (hand-designed), adversarial training', 'resnet20_adv')]
keys = ['clean', 'FGSM', 'MI-FGSM-10', 'PGD-7', 'PGD-20']
lines = ['| network | ' + ' | '.join(keys) + ' |', '|---' * (len(keys) + 1) + '|']
for label, name in rows:
    m = json.load(open(osp.join(work, name, 'metrics.json')))
    lines.append(f'| {label} | ' + ' | '.join(f"{m['robust/' + k]:.2f}" for k in keys) + ' |')
open(osp.join(work, 'results.md'), 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PYEOF
