-- wrk script: GET among BENCH_COUNT files named BENCH_PREFIX%05d.bin (default /files/bench/small/, 1000 files),
-- each thread walking its own shuffled order, and print one machine-readable line at the end.
local prefix = os.getenv("BENCH_PREFIX") or "/files/bench/small/"
local count = tonumber(os.getenv("BENCH_COUNT") or "1000")
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local n = 0

function init(args)
  math.randomseed(id * 7919)
  local order = {}
  for i = 1, count do order[i] = i - 1 end
  for i = count, 2, -1 do
    local j = math.random(i)
    order[i], order[j] = order[j], order[i]
  end
  for i = 1, count do
    requests[i] = wrk.format("GET", string.format("%s%05d.bin", prefix, order[i]))
  end
end

function request()
  n = n % count + 1
  return requests[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
