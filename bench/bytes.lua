-- wrk script for one large file: prints total bytes and duration so throughput counts partial bodies too
-- (a 1 GiB response rarely completes on every connection within the run).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end
