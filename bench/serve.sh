#!/usr/bin/env bash
# Load test of `ft4j serve` with wrk: requests/s, texts/s, p50/p99 latency and errors, for 1 and 16
# texts per request, with micro-batching on (--max-batch 32) and off (--max-batch 1).
#   bench/serve.sh      trains bench/out/serve-model once (examples/spam/feature-extraction.yaml,
#                       MiniLM), then prints a markdown table; logs under bench/out/serve/
#   INPUT=images bench/serve.sh   the same for an image model: bench/out/serve-image-model from
#                       examples/fashion/linear-probe.yaml (nsfwjs MobileNetV2 at 96 px; a probe trains in
#                       seconds and predicts as a full fine-tune of the same network does), requests of
#                       {"images": [base64 PNG, ...]} from examples/fashion/test/; logs under bench/out/serve-images/
# Settings: CONNECTIONS (8), THREADS (2, wrk's), DURATION (25 s), WARMUP (5 s), PORT (18080),
# MAX_WAIT_MS (5). wrk waits up to 60 s for an answer: its default 2 s is less than a queue of
# 8 x 16 texts takes on 2 cores, and timed-out requests drop out of wrk's latencies. Needs wrk
# (apt-get install wrk) and curl. Run nothing else meanwhile: it times itself, and holds
# /tmp/ft4j-bench-running while it does so that polite neighbours wait.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
INPUT="${INPUT:-texts}"
case "$INPUT" in
  texts) OUT="$ROOT/bench/out/serve" MODEL_RUN="$ROOT/bench/out/serve-model" RECIPE=examples/spam/feature-extraction.yaml ;;
  images) OUT="$ROOT/bench/out/serve-images" MODEL_RUN="$ROOT/bench/out/serve-image-model" RECIPE=examples/fashion/linear-probe.yaml ;;
  *) echo "serve.sh: INPUT is texts or images" >&2; exit 2 ;;
esac
CONNECTIONS="${CONNECTIONS:-8}" THREADS="${THREADS:-2}" DURATION="${DURATION:-25}" WARMUP="${WARMUP:-5}"
PORT="${PORT:-18080}" MAX_WAIT_MS="${MAX_WAIT_MS:-5}"
command -v wrk >/dev/null || { echo "serve.sh: needs wrk (apt-get install -y wrk)" >&2; exit 1; }
mkdir -p "$OUT"

while [ -e /tmp/ft4j-bench-running ]; do sleep 15; done
./ft4j models > /dev/null   # builds the CLI if the sources changed, outside any timing
if [[ ! -f "$MODEL_RUN/model/model.safetensors" ]]; then
  echo "== training $MODEL_RUN ($RECIPE)" >&2
  ./ft4j train "$RECIPE" --output "$MODEL_RUN" > "$OUT/train.log" 2>&1 \
    || { tail -20 "$OUT/train.log"; exit 1; }
fi

# Request bodies from real mails (those within the server's default 10,000-character limit), or the
# fashion example's test images.
python3 - "$ROOT" "$OUT" "$INPUT" <<'PY'
import base64, json, pathlib, sys
root, out, kind = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if kind == "texts":
    items = [json.loads(l)["text"] for l in open(root / "examples/spam/emails.jsonl") if l.strip()]
    items = [t for t in items if len(t) <= 10000]
else:
    items = [base64.b64encode(p.read_bytes()).decode() for p in sorted((root / "examples/fashion/test").rglob("*.png"))]
for n in (1, 16):
    with open(f"{out}/bodies-{n}.jsonl", "w") as f:
        for i in range(0, len(items) - n + 1, n):
            f.write(json.dumps({kind: items[i:i + n]}) + "\n")
PY

while [ -e /tmp/ft4j-bench-running ]; do sleep 15; done
touch /tmp/ft4j-bench-running
server=""
cleanup() {
  [[ -n "$server" ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -f /tmp/ft4j-bench-running
}
trap cleanup EXIT
# Work that started before we took the flag finishes first: wait (up to 15 min) for a quiet machine.
for _ in $(seq 90); do
  awk '{exit !($1 < 0.5)}' /proc/loadavg && break
  sleep 10
done
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

stats() { curl -sf "http://127.0.0.1:$PORT/v1/stats"; }
rm -f "$OUT/results.jsonl"
for max_batch in 32 1; do
  ./ft4j serve --model "$MODEL_RUN/model" --port "$PORT" --max-batch "$max_batch" --max-wait-ms "$MAX_WAIT_MS" \
    > "$OUT/server-$max_batch.log" 2>&1 &
  server=$!
  for _ in $(seq 240); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || { cat "$OUT/server-$max_batch.log"; exit 1; }
  for n in 1 16; do
    echo "== $(date -u +%H:%M:%S) --max-batch $max_batch, $n $INPUT/request" >&2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 60s -s bench/serve.lua "http://127.0.0.1:$PORT" \
      -- "$OUT/bodies-$n.jsonl" > /dev/null
    before=$(stats)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 60s --latency -s bench/serve.lua "http://127.0.0.1:$PORT" \
      -- "$OUT/bodies-$n.jsonl" > "$OUT/wrk-$max_batch-$n.txt"
    after=$(stats)
    python3 - "$max_batch" "$n" "$before" "$after" "$OUT/wrk-$max_batch-$n.txt" "$INPUT" >> "$OUT/results.jsonl" <<'PY'
import json, sys
max_batch, n, before, after, wrk = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
kind = sys.argv[6]
line = next(l for l in open(wrk) if l.startswith("WRK_JSON "))
r = json.loads(line[len("WRK_JSON "):])
batches = after["batches"] - before["batches"]
texts = after[kind] - before[kind]
r.update(max_batch=max_batch, texts_per_request=n, mean_batch=texts / batches if batches else 0,
         failed_batches=after["failed_batches"] - before["failed_batches"])
print(json.dumps(r))
PY
  done
  kill -TERM "$server"; wait "$server" || true; server=""
done
rm -f /tmp/ft4j-bench-running

python3 - "$OUT/results.jsonl" "$INPUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
kind = sys.argv[2]
print(f"| {kind}/request | micro-batching | requests/s | {kind}/s | p50 ms | p99 ms | mean batch | non-2xx | socket errors |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
by = {}
for r in sorted(rows, key=lambda r: (r["texts_per_request"], -r["max_batch"])):
    rps = r["requests"] / (r["duration_us"] / 1e6)
    by[(r["texts_per_request"], r["max_batch"])] = rps
    sock = r["connect"] + r["read"] + r["write"] + r["timeout"]
    mode = f"on (--max-batch {r['max_batch']})" if r["max_batch"] > 1 else "off (--max-batch 1)"
    print(f"| {r['texts_per_request']} | {mode} | {rps:.1f} | {rps * r['texts_per_request']:.1f} | "
          f"{r['p50_us'] / 1000:.0f} | {r['p99_us'] / 1000:.0f} | {r['mean_batch']:.1f} | {r['status']} | {sock} |")
for n in (1, 16):
    if (n, 32) in by and (n, 1) in by:
        print(f"\n{n} {kind}/request: micro-batching gives {by[(n, 32)] / by[(n, 1)]:.2f}x the throughput")
PY
