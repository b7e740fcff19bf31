#!/usr/bin/env bash
# Backward soak (issue 10): STEPS real optimizer steps of the real MiniLM on the spam mails (all six
# encoder layers train; the word embeddings stay frozen, STRATEGY=partial, which halves the optimizer's
# share of a step without changing the backward through the encoder; STRATEGY=full trains them too), through the launcher (its environment, tcmalloc, thread settings), counting native
# crashes and non-finite steps. A crash (the JVM killed by a signal) is counted and the run goes on
# from its newest checkpoint with --resume; non-finite steps are skipped and counted (on_non_finite:
# skip), each with the gradients that held NaN or Inf as the log prints them.
#   bench/backward-soak.sh                 STEPS=20000, batch 8, max_length 32
#   ATEN_CPU_CAPABILITY=avx2 bench/backward-soak.sh    the same on PyTorch's AVX2 kernels
#   RESUME=1 TAG=after bench/backward-soak.sh           goes on with a stopped soak from its newest
#                                                       checkpoint (at most 1,000 steps are redone);
#                                                       the summary counts every attempt's log
# Writes bench/out/backward-soak/ (logs, hs_err files) and prints one summary JSON line.
set -uo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-20000}" BATCH="${BATCH:-8}" LEN="${LEN:-32}" STRATEGY="${STRATEGY:-partial}"
TAG="${TAG:-${ATEN_CPU_CAPABILITY:-default}}"
OUT="$PWD/bench/out/backward-soak/$TAG"
RESUME="${RESUME:-0}"
if [[ "$RESUME" == 1 ]]; then
  [[ -d "$OUT/run/checkpoints" ]] || { echo "soak: nothing to resume in $OUT" >&2; exit 1; }
else
  rm -rf "$OUT" && mkdir -p "$OUT"
fi
export FT4J_RUNS="$OUT/runs.db"
# A snapshot of HEAD built apart: rebuilding this checkout during the hour-long soak would replace
# the jars under the running JVM (a class loaded late then fails to load).
SRC="$PWD/bench/out/backward-soak-src-$TAG"
source bench/snapshot.sh backward-soak "$SRC"
args=(train examples/spam/recipe.yaml --output "$OUT/run" --set "train.max_steps=$STEPS"
  --set "strategy=$STRATEGY" --set "train.batch_size=$BATCH" --set "data.max_length=$LEN" --set train.learning_rate=2.0e-5
  --set train.on_non_finite=skip --set train.checkpoint_every_steps=1000 --set train.eval_every_steps=5000
  --set train.early_stopping=false)
crashes=0 start=$(date +%s)
attempt=$(ls "$OUT"/attempt-*.log 2>/dev/null | wc -l)
earlier_seconds=$(cat "$OUT/seconds" 2>/dev/null || echo 0)
echo "$commit" >> "$OUT/commits"
commits=$(uniq "$OUT/commits" | paste -sd, -)
# Stopped from outside (SIGTERM, as bench/reproducibility.sh does with its load): the JVM goes too,
# the time so far is kept, and RESUME=1 goes on from the newest checkpoint.
java_pid=""
trap '[[ -n "$java_pid" ]] && kill "$java_pid" 2>/dev/null && wait "$java_pid"
  echo $(( earlier_seconds + $(date +%s) - start )) > "$OUT/seconds"; exit 143' TERM INT
while :; do
  attempt=$((attempt + 1))
  log="$OUT/attempt-$attempt.log"
  extra=(); [[ $attempt -gt 1 ]] && extra=(--resume)
  JAVA_OPTS="-XX:ErrorFile=$OUT/hs_err_%p.log ${JAVA_OPTS:-}" "$SRC/ft4j" "${args[@]}" "${extra[@]}" > "$log" 2>&1 &
  java_pid=$!
  wait "$java_pid"
  rc=$? java_pid=""
  [[ $rc -eq 0 ]] && break
  if [[ $rc -ge 128 ]]; then # killed by a signal; a JVM that caught SIGSEGV aborts (134) after writing hs_err
    crashes=$((crashes + 1))
    echo "crash $crashes (exit $rc) in attempt $attempt; resuming" >&2
    [[ $crashes -ge 20 ]] && break
    continue
  fi
  echo "soak: ft4j exited $rc (not a crash): see $log" >&2; tail -5 "$log" >&2; exit 1
done
nonfinite=$(cat "$OUT"/attempt-*.log | grep -c "skipped (loss")
steps_done=$(sed -n 's/.*"steps" *: *\([0-9]*\).*/\1/p' "$OUT/run/metrics.json" 2>/dev/null | head -1)
printf '{"soak":"backward","commit":"%s","tag":"%s","steps":%s,"strategy":"%s","batch":%s,"max_length":%s,"attempts":%d,"crashes":%d,"non_finite_steps":%d,"seconds":%d,"cpu":"%s","aten_cpu_capability":"%s"}\n' \
  "$commits" "$TAG" "${steps_done:-0}" "$STRATEGY" "$BATCH" "$LEN" "$attempt" "$crashes" "$nonfinite" $(( earlier_seconds + $(date +%s) - start )) \
  "$(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1)" "${ATEN_CPU_CAPABILITY:-}" | tee "$OUT/summary.json"
