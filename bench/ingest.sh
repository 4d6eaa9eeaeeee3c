#!/usr/bin/env bash
# Ingest throughput of a 1 GiB file into the node, against copying the same file on the same disk, same run:
#   (a) ./mfleet ingest FILE TARGET          end to end: CLI start, client-side SHA-256, PUT, node hash + fsync + rename
#   (b) curl -T FILE with a precomputed Repr-Digest   the node alone
#   (c) cp FILE DEST && sync                 the baseline
# All three include everything until the data is durable: the node fsyncs the file and its folder before it answers.
# The source is in the page cache for all three; a plain `sync` (untimed) runs before each so no one pays for the
# previous one's dirty pages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE="${INGEST_SIZE:-1073741824}"

bench_init ingest
lib="$BENCH_TMP/library"
src="$BENCH_TMP/source/big.bin"
copies="$BENCH_TMP/copies"
mkdir -p "$copies"

log "writing a $SIZE-byte source file"
random_file "$src" "$SIZE"
digest="$(repr_digest "$src")"
build_mfleet
start_node "$lib" "$(free_port)"
log "node $NODE_URL (pid $NODE_PID), library $lib"
sync
cat "$src" >/dev/null

# timed NAME CMD... -> runs CMD (stdout discarded), prints MiB/s of SIZE over the wall-clock time.
timed() {
  local name="$1" start end seconds value
  shift
  sync
  start="$(now)"
  "$@" >/dev/null
  end="$(now)"
  seconds="$(elapsed "$start" "$end")"
  value="$(mib_per_s "$SIZE" "$seconds")"
  log "$name: $value MiB/s ($seconds s)  command: $(printf '%q ' "$@")"
  echo "$value"
}

cp_sync() { cp "$1" "$2" && sync; }
curl_put() {
  local status
  status="$(curl -sS -o "$BENCH_TMP/put.json" -w '%{http_code}' -T "$1" -H "Authorization: Bearer $MFLEET_TOKEN" \
    -H "Repr-Digest: $digest" "$2")"
  [ "$status" = 201 ] || { echo "PUT $2 answered $status: $(cat "$BENCH_TMP/put.json")" >&2; return 1; }
}
remove() { curl -sf -X DELETE -H "Authorization: Bearer $MFLEET_TOKEN" "$NODE_URL/files/$1" >/dev/null; }

declare -A samples
for rep in $(seq "$REPS"); do
  log "repetition $rep of $REPS"
  samples[cp]+="$(timed "cp + sync        " cp_sync "$src" "$copies/big-$rep.bin") "
  rm "$copies/big-$rep.bin"
  samples[curl]+="$(timed "curl -T PUT      " curl_put "$src" "$NODE_URL/files/bench/curl-$rep.bin") "
  remove "bench/curl-$rep.bin"
  samples[ingest]+="$(timed "mfleet ingest    " "$MFLEET" ingest "$src" "bench/ingest-$rep.bin" --node "$NODE_URL") "
  remove "bench/ingest-$rep.bin"
done
log "cp_sync is: cp FILE DEST && sync; curl_put is: curl -sS -T FILE -H 'Authorization: Bearer \$MFLEET_TOKEN' -H 'Repr-Digest: $digest' URL (expects 201)"

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
echo
echo "ingest.sh: MiB/s, medians of $REPS repetitions"
base="$(med cp)"
printf '  %-34s %8s  [%s]\n' "cp + sync (baseline, disk)" "$base" "${samples[cp]% }"
for key in ingest curl; do
  name="$([ "$key" = ingest ] && echo "ingest $(human "$SIZE") (mfleet ingest)" || echo "ingest $(human "$SIZE") (curl -T PUT)")"
  value="$(med "$key")"; r="$(ratio "$value" "$base")"
  # Issue 12: mfleet ingest >= 0.9x cp + sync (curl -T, the node alone, is shown against the same bar).
  printf '  %-34s %8s  ratio %5s  target >= 0.9  [%s]\n' "$name" "$value" "$r" "${samples[$key]% }"
  result "$name" "$value" "$base" "$r" ">= 0.9" "$(met "$r" '>=' 0.9)" "MiB/s vs cp+sync"
done
