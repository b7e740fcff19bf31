#!/usr/bin/env bash
# Throughput benchmark: finetune4j (Java/DJL) vs a plain PyTorch eager reference
# (bench/torch_reference.py) of the same BertForSequenceClassification and weights.
#
# Usage:  bench/run-throughput.sh [MODEL_DIR]        (default: bench/out/minilm-hf)
#
# Environment knobs (defaults in brackets):
#   BATCH [32] SEQ [128] STEPS [10] WARMUP [2] THREADS [2] MODE [both: train|infer|both] SEED [42]
#   PYTHON [/usr/bin/python3]     Debian python3-torch; NOT the pyenv python3 on PATH
#   BENCH_OPENBLAS_CORETYPE [auto] auto = pick from /proc/cpuinfo flags; none = leave
#                                  OPENBLAS_CORETYPE unset (OpenBLAS's own detection); or a name
#   MAKE_RANDOM [0]   1 = if MODEL_DIR has no model.safetensors, write a random-init MiniLM there
#   SKIP_PYTORCH [0] / SKIP_JAVA [0]    run only one side
#   REQUIRE_JAVA [0]  1 = fail (instead of skip) when the Java side is not built
#   JAVA_CMD          overrides the built-in Java command line (string, run through bash -c)
#   REPEATS [1]       run the pair this many times, alternating (pytorch, java, pytorch, java, ...);
#                     the table then shows per-impl medians over repeats. Use >= 3 on a shared host.
#
# The two implementations run one after the other, never concurrently, so they do not
# compete for the cores. Each prints ONE JSON line; the driver appends a "driver" object
# (env it set, host load) and writes both to bench/out/throughput.jsonl (overwritten per
# invocation; logs go to bench/out/throughput-<impl>.log), then prints a comparison table.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# a MODEL_DIR argument is relative to the caller's directory; the default to the repo root
if [[ $# -ge 1 ]]; then MODEL=$(realpath -m -- "$1"); else MODEL=${MODEL:-bench/out/minilm-hf}; fi
cd "$ROOT"
BATCH=${BATCH:-32}
SEQ=${SEQ:-128}
STEPS=${STEPS:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
MODE=${MODE:-both}
SEED=${SEED:-42}
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH_OPENBLAS_CORETYPE=${BENCH_OPENBLAS_CORETYPE:-auto}
OUT_DIR=bench/out
JSONL=$OUT_DIR/throughput.jsonl
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)

source bench/host.sh  # detect_coretype, host_busy_pct
log() { echo "[run-throughput] $*" >&2; }
die() { log "ERROR: $*"; exit 2; }

mkdir -p "$OUT_DIR"
"$PYTHON" -c 'import torch' 2>/dev/null \
  || die "$PYTHON cannot import torch (install Debian python3-torch, or set PYTHON=)"

# ---------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------
if [[ ! -f "$MODEL/model.safetensors" || ! -f "$MODEL/config.json" ]]; then
  if [[ "${MAKE_RANDOM:-0}" != 1 && -f bench/target/classpath.txt ]]; then
    log "no checkpoint in $MODEL: exporting the real MiniLM weights (with a seeded 2-label head) from finetune4j"
    OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
      dev.finetune4j.bench.Throughput --mode export --export "$MODEL" >&2
  elif [[ "${MAKE_RANDOM:-0}" == 1 ]]; then
    log "no checkpoint in $MODEL: writing a random-init MiniLM-shaped one (MAKE_RANDOM=1)"
    "$PYTHON" bench/make_random_checkpoint.py --out "$MODEL" >&2
  else
    die "no config.json + model.safetensors in $MODEL. Export it with the Java side, or
       MAKE_RANDOM=1 $0 $MODEL   to benchmark a random-init MiniLM-shaped model."
  fi
fi

# ---------------------------------------------------------------------------------------
# OpenBLAS core type (python side only: DJL's libtorch brings its own BLAS)
# ---------------------------------------------------------------------------------------
case "$BENCH_OPENBLAS_CORETYPE" in
  auto) CORETYPE=$(detect_coretype); CORETYPE_WHY="detected from /proc/cpuinfo flags" ;;
  none) CORETYPE=""; CORETYPE_WHY="BENCH_OPENBLAS_CORETYPE=none" ;;
  *)    CORETYPE=$BENCH_OPENBLAS_CORETYPE; CORETYPE_WHY="BENCH_OPENBLAS_CORETYPE" ;;
esac
if [[ -n "$CORETYPE" ]]; then
  log "OPENBLAS_CORETYPE=$CORETYPE for PyTorch ($CORETYPE_WHY)"
else
  log "OPENBLAS_CORETYPE left unset for PyTorch ($CORETYPE_WHY); OpenBLAS autodetects"
fi

# ---------------------------------------------------------------------------------------
# runners
# ---------------------------------------------------------------------------------------
COMMON_ARGS=(--model "$MODEL" --batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --warmup "$WARMUP"
             --threads "$THREADS" --mode "$MODE" --seed "$SEED")

run_pytorch() {
  local envs=(-u LD_PRELOAD -u OPENBLAS_CORETYPE
              OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS")
  [[ -n "$CORETYPE" ]] && envs+=(OPENBLAS_CORETYPE="$CORETYPE")
  env "${envs[@]}" "$PYTHON" bench/torch_reference.py "${COMMON_ARGS[@]}"
}

JAVA_LD_PRELOAD=""
[[ -f "$TCMALLOC" ]] && JAVA_LD_PRELOAD=$TCMALLOC

# ========================= JAVA_CMD: placeholder for the finetune4j side =========================
# Contract: prints ONE JSON line on stdout with the same fields as torch_reference.py
# ("impl": "finetune4j", "threads", "batch", "seq", "train_examples_per_s", "infer_examples_per_s",
# "train_step_s_median", "infer_step_s_median", ...); everything else on stderr. Same args as the
# python side (COMMON_ARGS). Build first so that cli/target/classpath.txt exists, e.g.
#   mvn -q -pl cli -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
java_ready() {
  [[ -n "${JAVA_CMD:-}" ]] && return 0
  [[ -f bench/target/classpath.txt && -f bench/target/classes/dev/finetune4j/bench/Throughput.class ]]
}
run_java() {
  # env: all -u options must come before the NAME=VALUE assignments
  local envs=(-u OPENBLAS_CORETYPE -u LD_PRELOAD OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS")
  [[ -n "$JAVA_LD_PRELOAD" ]] && envs+=(LD_PRELOAD="$JAVA_LD_PRELOAD")
  if [[ -n "${JAVA_CMD:-}" ]]; then
    env "${envs[@]}" bash -c "$JAVA_CMD"
    return
  fi
  env "${envs[@]}" OPT_OUT_TRACKING=true java -Dai.djl.offline=true \
    -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
    dev.finetune4j.bench.Throughput "${COMMON_ARGS[@]}"
}
# =================================================================================================

# run_one NAME FUNC: runs FUNC, keeps its last '{'-line, validates it, adds driver info
run_one() {
  local name=$1 fn=$2 out="$OUT_DIR/throughput-$1.stdout" logf="$OUT_DIR/throughput-$1.log"
  local busy; busy=$(host_busy_pct)
  log "---- $name (host busy before start: ${busy}% of all CPUs; log: $logf)"
  (( busy > 10 )) && log "WARNING: host is ${busy}% busy before the $name run; numbers will be noisy"
  local rc=0
  "$fn" > "$out" 2> >(tee "$logf" >&2) || rc=$?
  wait  # for tee
  if (( rc != 0 )); then log "$name failed with exit code $rc (see $logf)"; return "$rc"; fi
  local line; line=$(grep '^{' "$out" | tail -n 1 || true)
  [[ -n "$line" ]] || { log "$name printed no JSON line (stdout in $out)"; return 3; }
  local preload=""; [[ "$name" == finetune4j ]] && preload=$JAVA_LD_PRELOAD
  LINE="$line" NAME="$name" BUSY="$busy" PRELOAD="$preload" CT="$([[ $name == pytorch ]] && echo "$CORETYPE")" \
  RUN_ID="$RUN_ID" THREADS="$THREADS" REP="$3" "$PYTHON" - >> "$JSONL" <<'EOF'
import json, os
d = json.loads(os.environ["LINE"])
d["driver"] = {"run_id": os.environ["RUN_ID"], "repeat": int(os.environ["REP"]),
               "threads": int(os.environ["THREADS"]),
               "openblas_coretype_env": os.environ["CT"] or None,
               "ld_preload": os.environ["PRELOAD"] or None,
               "host_busy_pct_before": int(os.environ["BUSY"]),
               "loadavg_after": open("/proc/loadavg").read().split()[:3]}
print(json.dumps(d))
EOF
}

: > "$JSONL"
log "model=$MODEL batch=$BATCH seq=$SEQ steps=$STEPS warmup=$WARMUP threads=$THREADS mode=$MODE seed=$SEED"
FAILED=0
DO_JAVA=0
if [[ "${SKIP_JAVA:-0}" != 1 ]]; then
  if java_ready; then
    DO_JAVA=1
  elif [[ "${REQUIRE_JAVA:-0}" == 1 ]]; then
    die "finetune4j side not built: run 'mvn -q -B -DskipTests install' first"
  else
    log "SKIP finetune4j: not built yet (run 'mvn -q -B -DskipTests install'); set JAVA_CMD= or build it"
  fi
fi
for (( rep = 1; rep <= ${REPEATS:-1}; rep++ )); do
  (( ${REPEATS:-1} > 1 )) && log "==== repeat $rep/${REPEATS}"
  if [[ "${SKIP_PYTORCH:-0}" != 1 ]]; then run_one pytorch run_pytorch "$rep" || FAILED=1; fi
  if (( DO_JAVA )); then run_one finetune4j run_java "$rep" || FAILED=1; fi
done

# ---------------------------------------------------------------------------------------
# comparison table
# ---------------------------------------------------------------------------------------
JSONL="$JSONL" "$PYTHON" - <<'EOF'
import json, os, statistics
rows = [json.loads(l) for l in open(os.environ["JSONL"]) if l.strip()]
KEYS = ("train_examples_per_s", "train_step_s_median", "infer_examples_per_s", "infer_step_s_median")
def f(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"
print()
print(f"{'impl':<15} {'rep':>3} {'blas / engine':<24} {'train ex/s':>10} {'train s/step':>12} "
      f"{'infer ex/s':>10} {'infer s/step':>12} {'busy%':>5}")
for r in rows:
    eng = r.get("blas") or r.get("engine") or "?"
    print(f"{r['impl']:<15} {r.get('driver', {}).get('repeat', 1):>3} {str(eng)[:24]:<24} "
          f"{f(r.get('train_examples_per_s')):>10} {f(r.get('train_step_s_median'), 3):>12} "
          f"{f(r.get('infer_examples_per_s')):>10} {f(r.get('infer_step_s_median'), 3):>12} "
          f"{r.get('driver', {}).get('host_busy_pct_before', '?'):>5}")
agg = {}
for impl in dict.fromkeys(r["impl"] for r in rows):
    rs = [r for r in rows if r["impl"] == impl]
    agg[impl] = {}
    for k in KEYS:
        vs = [r[k] for r in rs if r.get(k) is not None]
        agg[impl][k] = statistics.median(vs) if vs else None
    if len(rs) > 1:
        print(f"{impl:<15} {'med':>3} {'(median over ' + str(len(rs)) + ' runs)':<24} "
              f"{f(agg[impl]['train_examples_per_s']):>10} {f(agg[impl]['train_step_s_median'], 3):>12} "
              f"{f(agg[impl]['infer_examples_per_s']):>10} {f(agg[impl]['infer_step_s_median'], 3):>12}")
a, b = agg.get("finetune4j"), agg.get("pytorch-eager")
def ratio(key):
    if not a or not b or not a.get(key) or not b.get(key):
        return "n/a"
    return f"{a[key] / b[key]:.3f}x"
print()
print(f"finetune4j / pytorch-eager  train: {ratio('train_examples_per_s')}   "
      f"inference: {ratio('infer_examples_per_s')}   (examples/s; >1 = finetune4j faster)")
shapes = {(r.get("batch"), r.get("seq")) for r in rows}
if len(shapes) > 1:
    print(f"WARNING: batch/seq differ between runs: {sorted(shapes)}")
busy = [r.get("driver", {}).get("host_busy_pct_before", 0) for r in rows]
if busy and max(busy) > 10:
    print(f"WARNING: host was up to {max(busy)}% busy before a run (other load on the machine)")
print(f"results: {os.environ['JSONL']}")
EOF
exit "$FAILED"
