#!/usr/bin/env bash
# ASHA vs no pruning on a real study (examples/spam/tune.yaml: frozen MiniLM, TPE, 30 trials of up to
# 27 epochs): best validation macro-F1 and the training epochs each study spent.
#   bench/asha.sh            writes bench/out/asha-{none,asha}/ and prints a table
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f bench/out/asha-times.txt.new
for pruner in none asha; do
  out=bench/out/asha-$pruner
  rm -rf "$out"
  # The frozen body's features depend only on the model and the data: reuse the first study's.
  [[ -d bench/out/asha-none/features && $pruner != none ]] && mkdir -p "$out" && cp -r bench/out/asha-none/features "$out/"
  start=$(date +%s)
  ./ft4j tune examples/spam/tune.yaml --output "$out" --set search.pruner=$pruner --no-best > "$out.log" 2>&1 \
    || { tail -5 "$out.log"; exit 1; }
  echo "$pruner $(( $(date +%s) - start ))" >> bench/out/asha-times.txt.new
done
mv bench/out/asha-times.txt.new bench/out/asha-times.txt
python3 - <<'PY'
import json
times = dict(l.split() for l in open("bench/out/asha-times.txt"))
print("| pruner | trials complete / pruned | best validation macro-F1 | epochs trained (all trials) | trial time | wall time |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for p in ("none", "asha"):
    s = json.load(open(f"bench/out/asha-{p}/summary.json"))
    print(f"| {p} | {s['complete']} / {s['pruned']} | {s['best_value']:.4f} | {s['evaluations_run']} | "
          f"{s['trial_seconds']:.0f} s | {times[p]} s |")
PY
