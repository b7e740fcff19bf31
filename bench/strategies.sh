#!/usr/bin/env bash
# Runs every adaptation strategy's example recipe and tabulates, per data set, test macro-F1,
# wall time, trainable parameters, peak RSS, forgetting and the feature cache's speed-up from
# their metrics.json (docs/strategies.md).
#   bench/strategies.sh [RECIPE ...]
# Default: the spam and sotu examples' full, feature-extraction, partial, gradual-unfreeze and lora
# recipes, plus sotu's balanced-sampler. Runs are sequential: they time themselves, so run nothing
# else on the machine meanwhile.
# The runs use a snapshot of the committed tree (HEAD, checked out under bench/out/strategies/src
# and built there), so editing or rebuilding this checkout while it runs cannot change what is
# measured. Extra ft4j flags go in FT4J_ARGS (e.g. FT4J_ARGS="--set train.max_steps=5" for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/strategies"
SRC="$OUT/src"
mkdir -p "$OUT"
if [[ $# -eq 0 ]]; then
  set --
  for d in spam sotu; do
    for r in recipe feature-extraction partial gradual-unfreeze lora balanced-sampler; do
      [[ -f "examples/$d/$r.yaml" ]] && set -- "$@" "examples/$d/$r.yaml"
    done
  done
fi

source bench/snapshot.sh strategies "$SRC"

runs=()
for recipe in "$@"; do
  name=$(basename "$(dirname "$recipe")")-$(basename "$recipe" .yaml)
  echo "== $(date -u +%H:%M:%S) $recipe -> $OUT/$name" >&2
  rm -rf "${OUT:?}/$name"
  # shellcheck disable=SC2086
  "$SRC/ft4j" train "$SRC/$recipe" --output "$OUT/$name" ${FT4J_ARGS:-} > "$OUT/$name.log" 2>&1 \
    || { tail -5 "$OUT/$name.log" >&2; exit 1; }
  git -C "$SRC" rev-parse --short HEAD > "$OUT/$name.commit"
  runs+=("$OUT/$name")
done
# ALL=1: tabulate every run under bench/out/strategies (e.g. rows measured by earlier invocations).
if [[ -n "${ALL:-}" ]]; then
  runs=()
  for d in "$OUT"/*/; do [[ -f "$d/metrics.json" ]] && runs+=("${d%/}"); done
fi
python3 - "$commit" "${runs[@]}" <<'PY' | tee "$OUT/table.md"
import json, sys
commit, dirs = sys.argv[1], sys.argv[2:]
print(f"Measured by bench/strategies.sh (commit of each run in the last column).\n")
by_set = {}
for d in dirs:
    by_set.setdefault(d.split('/')[-1].split('-')[0], []).append(d)
for data_set, ds in by_set.items():
    print(f"### {data_set}\n")
    print("| run | strategy | test macro-F1 | test accuracy | trainable / total parameters | wall time | peak RSS |"
          " forgetting (cosine) | feature cache speed-up | commit |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for d in ds:
        m = json.load(open(d + "/metrics.json"))
        t, tr, res = m["test"], m["train"], m.get("resources", {})
        forgetting = (m.get("forgetting") or {}).get("mean_cosine_to_pretrained")
        cache = tr.get("feature_cache") or {}
        speedup = (f"{cache['speedup']:.0f}x ({cache['first_epoch_seconds']:.1f} s -> "
                   f"{cache['later_epoch_seconds_mean'] * 1000:.0f} ms)") if cache.get("speedup") else "-"
        print(f"| {d.split('/')[-1]} | {tr['strategy']['type']} | {t['macro_f1']:.4f} | {t['accuracy']:.4f} | "
              f"{tr['trainable_parameters']:,} / {tr['total_parameters']:,} | {res.get('wall_seconds', 0):.0f} s | "
              f"{res.get('peak_rss_mb', -1):,} MB | {'1.0 (frozen)' if forgetting is None else f'{forgetting:.3f}'} | "
              f"{speedup} | {open(d + '.commit').read().strip() if __import__('os').path.exists(d + '.commit') else commit[:7]} |")
    print()
PY
