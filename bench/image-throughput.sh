#!/usr/bin/env bash
# Image throughput: finetune4j (Java/DJL, bench/src/.../ImageThroughput.java) against torchvision in plain
# PyTorch eager (bench/torchvision_reference.py), on the same weights, one after the other (never at the
# same time), for each architecture and image side: training and inference images/s, batch 32.
#
# Usage:  bench/image-throughput.sh
#   ARCHS ["mobilenet_v2 resnet18"]  SIZES ["96 224"]  BATCH [32]  STEPS [5]  WARMUP [2]  THREADS [2]
#   REPEATS [3]   alternating pytorch, finetune4j per configuration; the table shows medians over repeats
#   PYTHON [/usr/bin/python3]   Debian's python3-torch and python3-torchvision
#   REF_ARGS []   extra arguments for the reference (e.g. --channels-last)
#   SKIP_PYTORCH [0] / SKIP_JAVA [0]   run one side only
#
# Needs: apt-get install python3-torch python3-torchvision libopenblas0-pthread libtcmalloc-minimal4
#        mvn -q -B -DskipTests install   (builds bench/target/classes and bench/target/classpath.txt)
# Writes bench/out/image-throughput.jsonl (one line per run, with the host load before it) and prints
# the table. The weights are torchvision's own random initialisation (seeded, BatchNorm statistics
# randomised), written once to bench/out/img-ARCH/ by the reference and read by both sides: the speed
# of a network does not depend on what its weights learned.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ARCHS=${ARCHS:-"mobilenet_v2 resnet18"}
SIZES=${SIZES:-"96 224"}
BATCH=${BATCH:-32}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
REF_ARGS=${REF_ARGS:-}
OUT=bench/out
JSONL=$OUT/image-throughput.jsonl
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4

source bench/host.sh  # detect_coretype, host_busy_pct
log() { echo "[image-throughput] $*" >&2; }
die() { log "ERROR: $*"; exit 2; }

mkdir -p "$OUT"
"$PYTHON" -c 'import torch, torchvision' 2>/dev/null \
  || die "$PYTHON cannot import torch and torchvision (apt-get install python3-torch python3-torchvision)"
[[ "${SKIP_JAVA:-0}" == 1 || ( -f bench/target/classpath.txt && -f bench/target/classes/dev/finetune4j/bench/ImageThroughput.class ) ]] \
  || die "finetune4j side not built: run 'mvn -q -B -DskipTests install' first"

CORETYPE=$(detect_coretype)

run_pytorch() {  # arch size
  local envs=(-u LD_PRELOAD -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
              MKL_NUM_THREADS="$THREADS")
  [[ -n "$CORETYPE" ]] && envs+=(OPENBLAS_CORETYPE="$CORETYPE")
  # shellcheck disable=SC2086
  env "${envs[@]}" "$PYTHON" bench/torchvision_reference.py --arch "$1" --weights "$OUT/img-$1" --size "$2" \
    --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" $REF_ARGS
}

run_finetune4j() {  # arch size
  local envs=(-u OPENBLAS_CORETYPE -u LD_PRELOAD OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS")
  [[ -f "$TCMALLOC" ]] && envs+=(LD_PRELOAD="$TCMALLOC")
  env "${envs[@]}" OPT_OUT_TRACKING=true java -Dai.djl.offline=true \
    -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.finetune4j.bench.ImageThroughput \
    --arch "$1" --weights "$OUT/img-$1" --size "$2" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" \
    --threads "$THREADS"
}

run_one() {  # impl arch size repeat
  local fn=run_${1//-/_} busy line logf="$OUT/image-throughput-$1-$2-$3.log"
  busy=$(host_busy_pct)
  (( busy > 10 )) && log "WARNING: host ${busy}% busy before $1 $2 $3 px: numbers will be noisy"
  line=$("$fn" "$2" "$3" 2> "$logf" | grep '^{' | tail -n 1) || { log "$1 $2 $3 failed (see $logf)"; return 1; }
  [[ -n "$line" ]] || { log "$1 $2 $3 printed no result (see $logf)"; return 1; }
  LINE="$line" BUSY="$busy" REP="$4" "$PYTHON" -c '
import json, os
d = json.loads(os.environ["LINE"])
d["driver"] = {"repeat": int(os.environ["REP"]), "host_busy_pct_before": int(os.environ["BUSY"])}
print(json.dumps(d))' >> "$JSONL"
  log "$1 $2 ${3}px repeat $4: $(echo "$line" | "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin)
print("train %.1f images/s, inference %.1f images/s" % (d["train_images_per_s"], d["infer_images_per_s"]))')"
}

for arch in $ARCHS; do
  [[ -f "$OUT/img-$arch/model.safetensors" ]] \
    || "$PYTHON" bench/torchvision_reference.py --arch "$arch" --weights "$OUT/img-$arch" --write-weights
done
: > "$JSONL"
log "batch $BATCH, $STEPS timed steps after $WARMUP, $THREADS threads, $REPEATS repeats; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
FAILED=0
for (( rep = 1; rep <= REPEATS; rep++ )); do
  for arch in $ARCHS; do
    for size in $SIZES; do
      [[ "${SKIP_PYTORCH:-0}" == 1 ]] || run_one pytorch "$arch" "$size" "$rep" || FAILED=1
      [[ "${SKIP_JAVA:-0}" == 1 ]] || run_one finetune4j "$arch" "$size" "$rep" || FAILED=1
    done
  done
done

JSONL="$JSONL" "$PYTHON" - <<'EOF'
import json, os, statistics
rows = [json.loads(l) for l in open(os.environ["JSONL"]) if l.strip()]
med = {}
for r in rows:
    med.setdefault((r["arch"], r["size"], r["impl"]), []).append(r)
def m(rs, k):
    v = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(v) if v else None
print()
print(f"{'arch':<13} {'px':>4} {'impl':<14} {'train img/s':>11} {'infer img/s':>11}   per repeat (train / infer)")
keys = sorted({(a, s) for a, s, _ in med})
for a, s in keys:
    for impl in ("pytorch-eager", "finetune4j"):
        rs = med.get((a, s, impl), [])
        if not rs:
            continue
        per = ", ".join(f"{r['train_images_per_s']:.1f} / {r['infer_images_per_s']:.1f}" for r in rs)
        if impl == "pytorch-eager" and rs[0].get("memory_format") == "channels_last":
            impl = "pytorch-CL"
        print(f"{a:<13} {s:>4} {impl:<14} {m(rs, 'train_images_per_s'):>11.1f} {m(rs, 'infer_images_per_s'):>11.1f}   {per}")
    p, j = med.get((a, s, "pytorch-eager")), med.get((a, s, "finetune4j"))
    if p and j:
        print(f"{a:<13} {s:>4} {'ratio':<14} {m(j, 'train_images_per_s') / m(p, 'train_images_per_s'):>10.2f}x"
              f" {m(j, 'infer_images_per_s') / m(p, 'infer_images_per_s'):>10.2f}x")
busy = [r["driver"]["host_busy_pct_before"] for r in rows]
if busy and max(busy) > 10:
    print(f"WARNING: the host was up to {max(busy)}% busy before a run")
print(f"results: {os.environ['JSONL']}")
EOF
exit "$FAILED"
