#!/usr/bin/python3
"""Time per step by operator in a PyTorch profiler Chrome trace (ImageThroughput --profile TRACE.json).

  bench/trace_summary.py TRACE.json STEPS [TOP]

Operators nest (aten::conv2d contains aten::mkldnn_convolution), so the rows overlap: read each as the
time spent inside that operator, not as shares of a total.
"""
import collections
import json
import sys

events = [e for e in json.load(open(sys.argv[1])) if e.get("ph") == "X"]
steps = int(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
total, calls = collections.Counter(), collections.Counter()
for e in events:
    total[e["name"]] += e["dur"]
    calls[e["name"]] += 1
for name, us in total.most_common(top):
    print(f"{name[:60]:60s} {us / 1000 / steps:9.1f} ms/step  {calls[name] // steps:5d} calls/step")
