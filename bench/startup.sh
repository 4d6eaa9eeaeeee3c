#!/usr/bin/env bash
# Node start-up and memory against the size of the catalog (issue 12), without a library of real files: a synthetic
# catalog.db of FILES rows (bench/synthetic-catalog.py; paths like "Music/Artist 0123/Album 4/56 Track title number
# 123456.flac", 4 KiB each) is opened by a primary. Measured: process start to the first `/healthz` 200, the
# background load of the file index (its own log line, with the managed heap), and VmRSS once loaded and idle.
# Files are not on disk, so this measures the catalog, not a walk of the folder (which runs later, in the background).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES="${SIZES:-20000 200000 1000000}"
bench_init startup
build_mfleet
built_mfleet
printf '%-10s %10s %12s %12s %10s\n' files healthz_s index_load_s heap_MiB RSS_MiB
for files in $SIZES; do
  lib="$BENCH_TMP/lib-$files"
  log "making a synthetic catalog of $files files"
  python3 "$BENCH_HOME/synthetic-catalog.py" "$files" "$lib"
  for rep in $(seq "$REPS"); do
    port="$(free_port)"
    out="$BENCH_TMP/node-$files-$rep.log"
    start=${EPOCHREALTIME/,/.}
    "${BUILT[@]}" node --data "$lib" --primary --listen "http://127.0.0.1:$port" >"$out" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    # Polled without starting a process (lib.sh's http_get and nap): a curl and a sleep every 10 ms took the cores of the
    # node being timed.
    until http_get "$port" /healthz && [ "$HTTP_STATUS" = 200 ]; do nap 0.01; done
    answered=${EPOCHREALTIME/,/.}
    healthz="$(elapsed "$start" "$answered")"
    for _ in $(seq 6000); do grep -aq "index loaded" "$out" && break; sleep 0.05; done
    line="$(grep -a "index loaded" "$out")"
    load="$(sed -n 's/.* files in \([0-9.]*\) s.*/\1/p' <<<"$line")"
    heap="$(sed -n 's/.*managed heap \([0-9]*\) MiB.*/\1/p' <<<"$line")"
    sleep 2
    rss="$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")"
    printf '%-10s %10s %12s %12s %10s\n' "$files" "$healthz" "$load" "$heap" "$rss"
    result "start-up $files files: /healthz (s)" "$healthz" "" "" "<= 1" "$(met "$healthz" '<=' 1)" "${BUILT[*]} node --data LIB --primary"
    result "RSS $files files (MiB)" "$rss" "" "" "< 400" "$(met "$rss" '<' 400)" "VmRSS 2 s after the index loaded"
    bench_stop "$pid"
  done
  rm -rf "$lib"
done
