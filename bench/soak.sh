#!/usr/bin/env bash
# Memory soak (issue: resources stay flat): RSS over one run of STEPS optimizer steps, then after
# each of RUNS short runs (RUN_STEPS steps each) back to back in one JVM; real MiniLM, spam example.
#   bench/soak.sh                      STEPS=1000 RUNS=20 RUN_STEPS=20, batch 8, max_length 64
# Writes bench/out/soak.jsonl and prints the two summary lines. Run nothing else meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-1000}" RUNS="${RUNS:-20}" RUN_STEPS="${RUN_STEPS:-20}"
mvn -q -B -o -DskipTests install -pl bench -am > /dev/null 2>&1 || mvn -q -B -DskipTests install -pl bench -am
mkdir -p bench/out
lib=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[[ -f "$lib" && -z "${FT4J_NO_TCMALLOC:-}" ]] && export LD_PRELOAD="$lib"
export OPT_OUT_TRACKING=true MKL_CBWR="${MKL_CBWR:-AUTO}" MKL_DYNAMIC="${MKL_DYNAMIC:-FALSE}"
java -Dai.djl.offline=true -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.finetune4j.bench.Soak \
  examples/spam/recipe.yaml "$STEPS" "$RUNS" "$RUN_STEPS" bench/out/soak \
  --set train.batch_size=8 --set data.max_length=64 --set train.checkpoint_every_steps=250 \
  --set train.early_stopping.patience=1000 \
  | tee bench/out/soak.jsonl | grep summary
