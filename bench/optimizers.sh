#!/usr/bin/env bash
# The spam example's recipe with each optimizer (docs/strategies.md, "Optimizers"): test macro-F1
# and wall time from each run's metrics.json. Learning rates: AdamW's and Adam's are the recipe's;
# SGD (momentum 0.9) and RMSprop get the ones given below, since an adaptive optimizer's rate
# is far too small for SGD and RMSprop's first steps are larger than Adam's.
#   bench/optimizers.sh [OPTIMIZER ...]     default: adamw adam sgd rmsprop
#   RESUME=1 bench/optimizers.sh            keeps the runs that finished at the same commit and settings
# Runs are sequential and time themselves: run nothing else on the machine meanwhile. They use a
# snapshot of HEAD (bench/snapshot.sh). Extra ft4j flags go in FT4J_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/optimizers"
SRC="$OUT/src"
mkdir -p "$OUT"
[[ $# -eq 0 ]] && set -- adamw adam sgd rmsprop
declare -A SETTINGS=(
  [adamw]="--set train.optimizer=adamw"
  [adam]="--set train.optimizer=adam"
  [sgd]="--set train.optimizer=sgd --set train.learning_rate=5e-2 --set train.momentum=0.9"
  [rmsprop]="--set train.optimizer=rmsprop --set train.learning_rate=2e-5"
)
source bench/snapshot.sh optimizers "$SRC"
for opt in "$@"; do
  [[ -n "${SETTINGS[$opt]:-}" ]] || { echo "optimizers: unknown optimizer $opt" >&2; exit 2; }
  settings="${SETTINGS[$opt]}${FT4J_ARGS:+ $FT4J_ARGS}"
  if [[ "${RESUME:-0}" == 1 && -f "$OUT/spam-$opt/metrics.json" \
        && "$(cat "$OUT/spam-$opt.commit" 2>/dev/null)" == "$(git -C "$SRC" rev-parse --short HEAD)" \
        && "$(cat "$OUT/spam-$opt.settings" 2>/dev/null)" == "$settings" ]]; then
    echo "== $opt: done at this commit, kept" >&2
    continue
  fi
  echo "== $(date -u +%H:%M:%S) $opt: ${SETTINGS[$opt]}" >&2
  rm -rf "${OUT:?}/spam-$opt"
  # shellcheck disable=SC2086
  "$SRC/ft4j" train "$SRC/examples/spam/recipe.yaml" --output "$OUT/spam-$opt" ${SETTINGS[$opt]} ${FT4J_ARGS:-} \
    > "$OUT/spam-$opt.log" 2>&1 || { tail -5 "$OUT/spam-$opt.log" >&2; exit 1; }
  echo "$settings" > "$OUT/spam-$opt.settings"
  git -C "$SRC" rev-parse --short HEAD > "$OUT/spam-$opt.commit"
done
python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import json, os, sys
out = sys.argv[1]
print("| optimizer | settings | test macro-F1 | test accuracy | epochs run | wall time | commit |")
print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
for opt in ["adamw", "adam", "sgd", "rmsprop"]:
    d = f"{out}/spam-{opt}"
    if not os.path.exists(d + "/metrics.json"):
        continue
    m = json.load(open(d + "/metrics.json"))
    settings = open(d + ".settings").read().strip().replace("--set train.", "").replace(" ", ", ")
    print(f"| {opt} | {settings} | {m['test']['macro_f1']:.4f} | {m['test']['accuracy']:.4f} | "
          f"{m['train']['epochs']} | {m['resources']['wall_seconds']:.0f} s | {open(d + '.commit').read().strip()} |")
PY
