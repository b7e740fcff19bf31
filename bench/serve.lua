-- wrk script for bench/serve.sh: POSTs request bodies (one JSON object a line in the file given
-- after --) to /v1/predict in turn, and prints a JSON summary line at the end.
local bodies = {}
local next_body = 0

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  next_body = ((id or 0) * 101) % #bodies -- threads start at different bodies
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, '
      .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
