#!/usr/bin/env bash
# Reproducibility check (issue 10): a recipe run through ./ft4j IDLE times on an otherwise idle
# machine, BUSY times beside a CPU-bound busy loop, and KILLS times killed with SIGKILL at a random
# step after its first checkpoint and resumed with --resume; every run's model.safetensors SHA-256
# must be the same. Each run writes a step trace (-Dft4j.trace): when a hash differs, the first
# step and phase (logits = forward, grads = backward, params = optimizer) where it parted from run 1
# is printed.
#   bench/reproducibility.sh                             examples/spam/recipe.yaml, 3 + 3 + 5 runs
#   IDLE=2 BUSY=0 KILLS=1 bench/reproducibility.sh RECIPE [--set key=value ...]
#   LOAD='RESUME=1 TAG=after bench/backward-soak.sh' LOAD_DURING_KILLS=1 bench/reproducibility.sh
#       another job as the CPU-bound process beside the busy runs (and the killed ones) instead of
#       a busy loop; it is stopped with SIGTERM when the phase ends. Each result says whether the
#       load was still running when its run ended.
#   RESUME=1 bench/reproducibility.sh [RECIPE ...]
#       goes on after an interruption: runs with a result are kept; an unfinished idle or busy run
#       that saved a checkpoint continues from it with --resume (its result says so), else it
#       starts again
# Writes bench/out/reproducibility/ (runs, logs, traces, results.jsonl); exits 1 when hashes differ.
set -uo pipefail
cd "$(dirname "$0")/.."
RECIPE="${1:-examples/spam/recipe.yaml}"; shift $(( $# > 0 ? 1 : 0 ))
IDLE="${IDLE:-3}" BUSY="${BUSY:-3}" KILLS="${KILLS:-5}"
OUT="$PWD/bench/out/reproducibility"
RESUME="${RESUME:-0}"
if [[ "$RESUME" == 1 ]]; then
  [[ -f "$OUT/results.jsonl" ]] || { echo "reproducibility: nothing to resume in $OUT" >&2; exit 1; }
  sed -i '/"summary"/d' "$OUT/results.jsonl"
else
  rm -rf "$OUT" && mkdir -p "$OUT"
fi
export FT4J_RUNS="$OUT/runs.db"
./ft4j --help > /dev/null 2>&1 # builds the CLI first, so that no run below pays for it

done_already() { grep -q "\"run\":\"$1\"" "$OUT/results.jsonl" 2>/dev/null; }
# A run that starts from nothing (a killed run, or one interrupted before its first checkpoint).
fresh() { rm -rf "$OUT/$1" "$OUT/$1".*; [[ -f "$OUT/interrupted-runs" ]] && sed -i "/^$1\$/d" "$OUT/interrupted-runs"; true; }

# run NAME [JAVA_OPTS...]: one ./ft4j train into $OUT/NAME
run() {
  local name=$1; shift
  local again=()
  if [[ "$RESUME" == 1 ]] && compgen -G "$OUT/$name/checkpoints/step-*" > /dev/null; then
    again=(--resume) # interrupted (a session's end): the same run goes on, beside the same kind of load
    echo "$name" >> "$OUT/interrupted-runs"
    for f in "$OUT/$name.log" "$OUT/$name.trace.jsonl"; do [[ -f "$f" ]] && mv "$f" "$f.interrupted-$(date +%s)"; done
  else
    fresh "$name"
  fi
  JAVA_OPTS="-Dft4j.trace=$OUT/$name.trace.jsonl $*" ./ft4j train "$RECIPE" --output "$OUT/$name" "${ARGS[@]}" \
    "${again[@]}" > "$OUT/$name.log" 2>&1
}
interrupted() { grep -qx "$1" "$OUT/interrupted-runs" 2>/dev/null && echo true || echo false; }
ARGS=("$@")
record() { # NAME KIND [KILLED_AT]
  local name=$1 kind=$2 at=${3:-} hash diverged=""
  hash=$(sha256sum "$OUT/$name/model/model.safetensors" 2>/dev/null | cut -c1-64)
  [[ -n "$REF_HASH" && "$hash" != "$REF_HASH" ]] && diverged=$(first_difference "$OUT/idle-1.trace.jsonl" "$OUT/$name.trace.jsonl")
  printf '{"run":"%s","kind":"%s","killed_at_step":%s,"sha256":"%s","first_difference":"%s"}\n' \
    "$name" "$kind" "${at:-null}" "${hash:-missing}" "$diverged" | sed "s/}\$/,\"load_running\":$(load_running),\"interrupted_and_resumed\":$(interrupted "$name")}/" \
    | tee -a "$OUT/results.jsonl"
}
first_difference() { # the first step whose trace line differs, and which fields differ
  awk -F'"step":' 'NR==FNR { ref[$2+0] = $0; next }
    { s = $2 + 0; if ((s in ref) && ref[s] != $0) { print "step " s ": " $0; exit } }' "$1" "$2" | head -c 300 | tr -d '"'
}

LOAD="${LOAD:-while :; do :; done}" LOAD_DURING_KILLS="${LOAD_DURING_KILLS:-0}" load_pid=""
start_load() { [[ -n "$load_pid" ]] && return; setsid bash -c "$LOAD" > "$OUT/load.log" 2>&1 & load_pid=$!; }
stop_load() { [[ -z "$load_pid" ]] && return; kill -TERM -- "-$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null; load_pid=""; }
load_running() { [[ -n "$load_pid" ]] && kill -0 "$load_pid" 2>/dev/null && echo true || echo false; }
trap stop_load EXIT

REF_HASH=$(sed -n '1s/.*"sha256":"\([^"]*\)".*/\1/p' "$OUT/results.jsonl" 2>/dev/null)
for i in $(seq 1 "$IDLE"); do
  done_already "idle-$i" && continue
  run "idle-$i"; [[ -z "$REF_HASH" ]] && REF_HASH=$(sha256sum "$OUT/idle-1/model/model.safetensors" | cut -c1-64); record "idle-$i" idle
done
for i in $(seq 1 "$BUSY"); do
  done_already "busy-$i" && continue
  start_load
  run "busy-$i"
  [[ -z "$REF_HASH" ]] && REF_HASH=$(sha256sum "$OUT/busy-1/model/model.safetensors" | cut -c1-64)
  record "busy-$i" busy
done
[[ "$LOAD_DURING_KILLS" == 1 && "$BUSY" -gt 0 ]] || stop_load
ref=$(ls -d "$OUT"/idle-1 "$OUT"/busy-1 2>/dev/null | head -1)
steps=$(sed -n 's/.*"steps" : \([0-9]*\).*/\1/p' "$ref/metrics.json" | head -1)
epochs=$(sed -n 's/.*"epochs" : \([0-9]*\).*/\1/p' "$ref/metrics.json" | head -1)
every=$(printf '%s\n' "$(cat "$RECIPE")" "${ARGS[@]}" | sed -n 's/.*checkpoint_every_steps[:=] *\([0-9]*\).*/\1/p' | tail -1)
every=${every:-$(( steps / epochs ))} # a checkpoint at each epoch's end by default
for i in $(seq 1 "$KILLS"); do
  at=$(( every + 1 + RANDOM % (steps - every - 1) ))
  name="killed-$i"
  done_already "$name" && continue
  fresh "$name"
  JAVA_OPTS="-Dft4j.trace=$OUT/$name.before-kill.trace.jsonl -Dft4j.pauseAt=step:$at" ./ft4j train "$RECIPE" \
    --output "$OUT/$name" "${ARGS[@]}" > "$OUT/$name.before-kill.log" 2>&1 &
  pid=$!
  until grep -q ft4j-paused-at "$OUT/$name.before-kill.log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  JAVA_OPTS="-Dft4j.trace=$OUT/$name.trace.jsonl" ./ft4j train "$RECIPE" --output "$OUT/$name" "${ARGS[@]}" --resume \
    > "$OUT/$name.log" 2>&1
  record "$name" "killed+resumed" "$at"
done
stop_load
distinct=$(sed -n 's/.*"sha256":"\([^"]*\)".*/\1/p' "$OUT/results.jsonl" | sort -u | wc -l)
total=$(wc -l < "$OUT/results.jsonl")
echo "{\"summary\":\"reproducibility\",\"recipe\":\"$RECIPE\",\"runs\":$total,\"distinct_hashes\":$distinct}" | tee -a "$OUT/results.jsonl"
[[ "$distinct" -eq 1 ]]
