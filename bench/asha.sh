#!/usr/bin/env bash
# ASHA vs no pruning on a real study (examples/spam/tune.yaml: frozen MiniLM, TPE, 30 trials of up to
# 27 epochs): best validation macro-F1, the training epochs each study spent, and resident memory
# after each trial (growth across 30 trials in one JVM). A third study repeats the unpruned one with
# --parallel 2 to measure what running trials side by side gains.
#   bench/asha.sh            writes bench/out/asha/{none,asha,none-parallel2}/ and prints a table
# Runs a snapshot of HEAD (built under bench/out/asha/src) so that work in this checkout cannot change
# what is measured; run nothing else on the machine meanwhile (the studies time themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/asha"
SRC="$OUT/src"
mkdir -p "$OUT"
source bench/snapshot.sh asha "$SRC"
echo "$commit" > "$OUT/commit"
rm -f "$OUT/times.txt"
for study in none asha none-parallel2; do
  pruner=${study%%-*}
  parallel=1; [[ $study == *parallel2 ]] && parallel=2
  out="$OUT/$study"
  rm -rf "$out"
  # Each study computes the frozen body's features itself, as a user's study would: the wall times compare.
  echo "== $(date -u +%H:%M:%S) $study" >&2
  start=$(date +%s)
  "$SRC/ft4j" tune "$SRC/examples/spam/tune.yaml" --output "$out" --set search.pruner=$pruner \
    --parallel $parallel --no-best > "$out.log" 2>&1 || { tail -5 "$out.log"; exit 1; }
  echo "$study $(( $(date +%s) - start ))" >> "$OUT/times.txt"
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
times = dict(l.split() for l in open(f"{out}/times.txt"))
print("| study | trials complete / pruned | best validation macro-F1 | epochs trained (all trials) | trial time (sum) | wall time | RSS after trial 1 / last / max | Java heap after trial 1 / last |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for p in ("none", "asha", "none-parallel2"):
    s = json.load(open(f"{out}/{p}/summary.json"))
    print(f"| {p} | {s['complete']} / {s['pruned']} | {s['best_value']:.4f} | {s['evaluations_run']} | "
          f"{s['trial_seconds']:.0f} s | {times[p]} s | {s['rss_mb_after_first_trial']} / "
          f"{s['rss_mb_after_last_trial']} / {s['rss_mb_max_after_trial']} MB | "
          f"{s.get('heap_mb_after_first_trial')} / {s.get('heap_mb_after_last_trial')} MB |")
for p in ("none", "asha", "none-parallel2"):
    board = sorted(json.load(open(f"{out}/{p}/leaderboard.json")), key=lambda r: r["number"])
    print(p, "RSS after each trial:", [r["rss_mb_after"] for r in board])
PY
