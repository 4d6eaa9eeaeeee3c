#!/usr/bin/env bash
# Soak (issue 10): a primary, two followers and the coordinator's built-in balancer (--proxy) under 64 readers
# (whole files and Ranges, through the balancer, every body checked) and 4 writers (PUT with Repr-Digest and
# deletes, to the primary) for DURATION seconds. Reports exact error counts, p50/p99 latencies, each process's RSS
# sampled every RSS_EVERY seconds (first/last/max), and whether both followers end with the primary's manifest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init soak
build_mfleet

DURATION="${DURATION:-60}"; DURATION="${DURATION%s}"
READERS="${READERS:-64}"
WRITERS="${WRITERS:-4}"
RSS_EVERY="${RSS_EVERY:-2}"
SEED_FILES="${SEED_FILES:-64}"

log "building bench/SoakLoad (Release)"
dotnet build -c Release "$BENCH_HOME/SoakLoad" -o "$BENCH_TMP/soakload" -v quiet -nologo >"$BENCH_TMP/soakload-build.log" 2>&1 \
  || { cat "$BENCH_TMP/soakload-build.log" >&2; exit 1; }

coord_port="$(free_port)"; proxy_port="$(free_port)"
# The nodes' load (load average per core) would send them to backup or down on a busy shared machine, and the
# load generator itself raises it: the soak measures errors and memory, not the load policy (LOAD_LIMIT to change).
LOAD_LIMIT="${LOAD_LIMIT:-1000}"
MFLEET_Coordinator__BackupThreshold="$LOAD_LIMIT" MFLEET_Coordinator__DownThreshold="$LOAD_LIMIT" \
"$MFLEET" coordinator --listen "http://127.0.0.1:$coord_port" --proxy "http://127.0.0.1:$proxy_port" >"$BENCH_TMP/coordinator.log" 2>&1 &
COORD_PID=$!; BENCH_PIDS+=("$COORD_PID")
COORD_URL="http://127.0.0.1:$coord_port"; PROXY_URL="http://127.0.0.1:$proxy_port"
wait_http "$COORD_URL/healthz"

# node NAME PORT ARGS... -> appends to NAMES/PIDS/URLS
NAMES=(); PIDS=(); URLS=()
node() {
  local name="$1" port="$2"; shift 2
  mkdir -p "$BENCH_TMP/$name"
  "$MFLEET" node --data "$BENCH_TMP/$name" --id "$name" --listen "http://127.0.0.1:$port" --coordinator "$COORD_URL" "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  PIDS+=("$!"); BENCH_PIDS+=("$!"); NAMES+=("$name"); URLS+=("http://127.0.0.1:$port")
  wait_http "http://127.0.0.1:$port/healthz"
}
node primary "$(free_port)" --primary
PRIMARY="${URLS[0]}"
node follower1 "$(free_port)" --upstream "$PRIMARY"
node follower2 "$(free_port)" --upstream "$PRIMARY"

log "seeding $SEED_FILES files (16 KiB to 8 MiB) the readers will read"
seed="$BENCH_TMP/seed"
for i in $(seq "$SEED_FILES"); do
  case $((i % 4)) in 0) size=16384 ;; 1) size=262144 ;; 2) size=1048576 ;; *) size=8388608 ;; esac
  random_file "$seed/seed/$i.bin" "$size"
  curl -sf -o /dev/null -T "$seed/seed/$i.bin" -H "Authorization: Bearer $MFLEET_TOKEN" -H "Repr-Digest: $(repr_digest "$seed/seed/$i.bin")" "$PRIMARY/files/seed/$i.bin"
done

version_of() { curl -sf -H "Authorization: Bearer $MFLEET_TOKEN" "$1/v1/status" | grep -o '"version":[0-9]*' | head -n1 | cut -d: -f2; }
manifest() { curl -sf -H "Authorization: Bearer $MFLEET_TOKEN" "$1/v1/manifest"; }
# converged: every follower at the primary's version with the same manifest (up to 120 s)
converged() {
  local want f
  for _ in $(seq 1200); do
    want="$(version_of "$PRIMARY")"
    local all=1
    for f in 1 2; do [ "$(version_of "${URLS[f]}" 2>/dev/null || echo -1)" = "$want" ] || all=0; done
    if [ "$all" = 1 ] && [ "$(manifest "$PRIMARY" | sha256sum)" = "$(manifest "${URLS[1]}" | sha256sum)" ] \
        && [ "$(manifest "$PRIMARY" | sha256sum)" = "$(manifest "${URLS[2]}" | sha256sum)" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
converged || { echo "followers did not converge after seeding" >&2; exit 1; }

log "waiting for the coordinator to see three nodes up"
for _ in $(seq 600); do
  [ "$(curl -sf -H "Authorization: Bearer $MFLEET_TOKEN" "$COORD_URL/v1/nodes" | grep -o '"state":"up"' | wc -l)" = 3 ] && break
  sleep 0.1
done
curl -sf -H "Authorization: Bearer $MFLEET_TOKEN" "$COORD_URL/v1/nodes" | grep -o '"state":"up"' | wc -l | grep -qx 3 \
  || { echo "the coordinator does not see three nodes up: $(curl -s -H "Authorization: Bearer $MFLEET_TOKEN" "$COORD_URL/v1/nodes")" >&2; exit 1; }

# RSS sampler: "seconds name kib" lines, every RSS_EVERY seconds, for the three nodes and the coordinator.
rss="$BENCH_TMP/rss.txt"
(
  start=$(date +%s)
  while true; do
    t=$(( $(date +%s) - start ))
    for i in 0 1 2; do echo "$t ${NAMES[i]} $(awk '/^VmRSS/ {print $2}' "/proc/${PIDS[i]}/status" 2>/dev/null || echo 0)"; done
    echo "$t coordinator $(awk '/^VmRSS/ {print $2}' "/proc/$COORD_PID/status" 2>/dev/null || echo 0)"
    sleep "$RSS_EVERY"
  done
) >"$rss" &
SAMPLER_PID=$!; BENCH_PIDS+=("$SAMPLER_PID")

cmd=(dotnet "$BENCH_TMP/soakload/SoakLoad.dll" --read-url "$PROXY_URL" --write-url "$PRIMARY" --seed "$seed" --token "$MFLEET_TOKEN" --readers "$READERS" --writers "$WRITERS" --duration "$DURATION")
log "running: ${cmd[*]/$MFLEET_TOKEN/<token>}"
load_status=0
"${cmd[@]}" | tee "$BENCH_TMP/soakload.out" >&2 || load_status=$?
sleep "$RSS_EVERY"
bench_stop "$SAMPLER_PID"

log "waiting for the followers to converge"
if converged; then conv="yes (version $(version_of "$PRIMARY"), same manifest on all three)"; else conv="NO"; fi

echo "soak: $READERS readers via the balancer, $WRITERS writers to the primary, ${DURATION} s"
grep -E '^(reads|writes|errors):' "$BENCH_TMP/soakload.out"
echo "RSS (MiB, sampled every ${RSS_EVERY} s; first / last / max):"
for name in "${NAMES[@]}" coordinator; do
  awk -v n="$name" '$2 == n && $3 > 0 { if (!c++) f = $3; l = $3; if ($3 > m) m = $3 } END { printf "  %-12s %7.1f %7.1f %7.1f\n", n, f / 1024, l / 1024, m / 1024 }' "$rss"
done
echo "RSS over time (MiB, one sample about every 10 s):"
for name in "${NAMES[@]}" coordinator; do
  awk -v n="$name" -v every="$(( (10 + RSS_EVERY - 1) / RSS_EVERY ))" '$2 == n && $3 > 0 { if (c++ % every == 0) s = s sprintf(" %.0f", $3 / 1024) } END { printf "  %-12s%s\n", n, s }' "$rss"
done
echo "followers converged: $conv"
summary="$(grep '^soak ' "$BENCH_TMP/soakload.out")"
result "soak read errors" "$(sed 's/.* read_errors=\([0-9]*\).*/\1/' <<<"$summary")" "0" "" "0" "$(sed 's/.* read_errors=\([0-9]*\).*/\1/' <<<"$summary" | grep -qx 0 && echo yes || echo NO)" "errors"
result "soak write errors" "$(sed 's/.* write_errors=\([0-9]*\).*/\1/' <<<"$summary")" "0" "" "0" "$(sed 's/.* write_errors=\([0-9]*\).*/\1/' <<<"$summary" | grep -qx 0 && echo yes || echo NO)" "errors"
[ "$load_status" = 0 ] && [ "$conv" != NO ]
