#!/usr/bin/env bash
# Memory of a node while it takes and serves one large file: a fresh node per repetition, warmed with a small
# PUT/GET, then a 512 MiB upload (curl -T with Repr-Digest) and a 512 MiB download (curl -o /dev/null).
# Reports VmRSS before, VmHWM (the kernel's peak RSS) after the upload and after the download, and the highest VmRSS
# seen by a 0.1 s sampler. Target: peak under 200 MiB, i.e. bodies stream in constant memory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE="${MEMORY_SIZE:-536870912}"
LIMIT_MIB=200

bench_init memory
src="$BENCH_TMP/source/big.bin"
log "writing a $SIZE-byte source file"
random_file "$src" "$SIZE"
digest="$(repr_digest "$src")"
printf 'warm-up' >"$BENCH_TMP/small.txt"
build_mfleet

kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$2/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'; }

declare -A samples
for rep in $(seq "$REPS"); do
  log "repetition $rep of $REPS: fresh node"
  start_node "$BENCH_TMP/library-$rep" "$(free_port)"
  put=(curl -sSf -o /dev/null -T "$src" -H "Authorization: Bearer $MFLEET_TOKEN" -H "Repr-Digest: $digest" "$NODE_URL/files/bench/big.bin")
  get=(curl -sSf -o /dev/null "$NODE_URL/files/bench/big.bin")
  curl -sSf -o /dev/null -T "$BENCH_TMP/small.txt" -H "Authorization: Bearer $MFLEET_TOKEN" "$NODE_URL/files/bench/warm.txt"
  curl -sSf -o /dev/null "$NODE_URL/files/bench/warm.txt"
  before="$(kib VmRSS "$NODE_PID")"

  # Highest VmRSS every 0.1 s, written to a file the loop rewrites.
  peakfile="$BENCH_TMP/peak-$rep"
  echo 0 >"$peakfile"
  ( peak=0; while true; do
      now_kib="$(awk '/^VmRSS:/ { print $2 }' "/proc/$NODE_PID/status" 2>/dev/null || echo 0)"
      [ "$now_kib" -gt "$peak" ] && { peak="$now_kib"; echo "$peak" >"$peakfile"; }
      sleep 0.1
    done ) &
  sampler=$!
  BENCH_PIDS+=("$sampler")

  "${put[@]}"
  hwm_put="$(kib VmHWM "$NODE_PID")"; rss_put="$(kib VmRSS "$NODE_PID")"
  "${get[@]}"
  hwm_get="$(kib VmHWM "$NODE_PID")"; rss_get="$(kib VmRSS "$NODE_PID")"
  bench_stop "$sampler"
  sampled="$(cat "$peakfile")"
  log "RSS before $(mib "$before") MiB; after upload: HWM $(mib "$hwm_put") RSS $(mib "$rss_put"); after download: HWM $(mib "$hwm_get") RSS $(mib "$rss_get"); sampled peak $(mib "$sampled") MiB"
  log "  commands: $(printf '%q ' "${put[@]}" | sed "s/$MFLEET_TOKEN/\$MFLEET_TOKEN/")"
  log "            $(printf '%q ' "${get[@]}")"
  samples[before]+="$(mib "$before") "
  samples[hwm_put]+="$(mib "$hwm_put") "
  samples[hwm]+="$(mib "$hwm_get") "
  samples[after]+="$(mib "$rss_get") "
  bench_stop "$NODE_PID"
  rm -rf "$BENCH_TMP/library-$rep"
done

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
echo
echo "memory.sh: node RSS in MiB around a $((SIZE / 1048576)) MiB upload and download, medians of $REPS fresh nodes"
printf '  %-36s %8s  [%s]\n' "VmRSS before (warmed up)" "$(med before)" "${samples[before]% }"
printf '  %-36s %8s  [%s]\n' "VmHWM after the upload" "$(med hwm_put)" "${samples[hwm_put]% }"
printf '  %-36s %8s  [%s]\n' "VmHWM after the download (peak)" "$(med hwm)" "${samples[hwm]% }"
printf '  %-36s %8s  [%s]\n' "VmRSS after" "$(med after)" "${samples[after]% }"
peak="$(med hwm)"
result "peak RSS, $(human "$SIZE") up+down" "$peak" "$LIMIT_MIB" "$(ratio "$peak" "$LIMIT_MIB")" "< 200 MiB" "$(met "$peak" '<' "$LIMIT_MIB")" "MiB (baseline = limit)"
