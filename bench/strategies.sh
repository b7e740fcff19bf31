#!/usr/bin/env bash
# Runs every adaptation strategy's example recipe and tabulates test macro-F1, wall time, trainable
# parameters and peak RSS from their metrics.json (docs/strategies.md).
#   bench/strategies.sh [RECIPE ...]        default: examples/spam/{recipe,feature-extraction,partial,gradual-unfreeze,lora}.yaml
# Extra ft4j flags go in FT4J_ARGS (e.g. FT4J_ARGS="--set train.max_steps=5" for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/strategies
mkdir -p "$OUT"
if [[ $# -eq 0 ]]; then
  set -- examples/spam/recipe.yaml examples/spam/feature-extraction.yaml examples/spam/partial.yaml \
         examples/spam/gradual-unfreeze.yaml examples/spam/lora.yaml
fi
runs=()
for recipe in "$@"; do
  name=$(basename "$(dirname "$recipe")")-$(basename "$recipe" .yaml)
  echo "== $recipe -> $OUT/$name" >&2
  # shellcheck disable=SC2086
  ./ft4j train "$recipe" --output "$OUT/$name" ${FT4J_ARGS:-} > "$OUT/$name.log" 2>&1 || { tail -5 "$OUT/$name.log" >&2; exit 1; }
  runs+=("$OUT/$name")
done
python3 - "${runs[@]}" <<'PY'
import json, sys
print("| run | strategy | test macro-F1 | test accuracy | trainable / total parameters | wall time | peak RSS |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for d in sys.argv[1:]:
    m = json.load(open(d + "/metrics.json"))
    t, tr, res = m["test"], m["train"], m.get("resources", {})
    print(f"| {d.split('/')[-1]} | {tr['strategy']['type']} | {t['macro_f1']:.4f} | {t['accuracy']:.4f} | "
          f"{tr['trainable_parameters']:,} / {tr['total_parameters']:,} | {res.get('wall_seconds', 0):.0f} s | "
          f"{res.get('peak_rss_mb', -1):,} MB |")
PY
