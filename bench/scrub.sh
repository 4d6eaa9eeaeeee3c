#!/usr/bin/env bash
# Scrub throughput (issue 6): the node re-hashing its copies, against openssl on the same files in the same run.
#   (a) unthrottled: `mfleet verify` of a library of SCRUB_FILES x SCRUB_SIZE bytes (POST /v1/verify: read + SHA-256 of
#       every copy, catalog updates), MiB/s of wall-clock time, against `openssl dgst -sha256` of the same files
#       (coreutils sha256sum is several times slower here and no fair anchor). Page cache warm for both.
#   (b) budget: a node with Scrub:BudgetMBps=SCRUB_BUDGET (default 20) and every copy due (CheckTtlDays=0); the read
#       rate over SCRUB_WINDOW seconds, from its own counter mfleet_scrub_read_bytes_total at /metrics. Target ±10 %.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILES="${SCRUB_FILES:-4}"
SIZE="${SCRUB_SIZE:-268435456}"
BUDGET="${SCRUB_BUDGET:-20}"
WINDOW="${SCRUB_WINDOW:-20}"

bench_init scrub
lib="$BENCH_TMP/library"
src="$BENCH_TMP/source"
mkdir -p "$src"
build_mfleet
log "writing $FILES files of $SIZE bytes"
for i in $(seq "$FILES"); do random_file "$src/f$i.bin" "$SIZE"; done
start_node "$lib" "$(free_port)"
log "node $NODE_URL (pid $NODE_PID), library $lib"
"$MFLEET" ingest "$src" scrub --node "$NODE_URL" >/dev/null
total=$((FILES * SIZE))
cat "$lib"/scrub/*.bin >/dev/null

declare -A samples
for rep in $(seq "$REPS"); do
  start="$(now)"; openssl dgst -sha256 "$lib"/scrub/*.bin >/dev/null; end="$(now)"
  s="$(elapsed "$start" "$end")"; v="$(mib_per_s "$total" "$s")"
  log "openssl dgst -sha256 (x$FILES): $v MiB/s ($s s)  command: openssl dgst -sha256 $lib/scrub/*.bin"
  samples[openssl]+="$v "
  start="$(now)"; "$MFLEET" verify scrub --node "$NODE_URL" >/dev/null; end="$(now)"
  s="$(elapsed "$start" "$end")"; v="$(mib_per_s "$total" "$s")"
  log "mfleet verify (x$FILES): $v MiB/s ($s s)  command: $MFLEET verify scrub --node $NODE_URL"
  samples[verify]+="$v "
done
bench_stop "$NODE_PID"

# (b) a node of its own on the same library, scrubbing on schedule within the budget.
MFLEET_Scrub__BudgetMBps="$BUDGET" MFLEET_Scrub__CheckTtlDays=0 MFLEET_Scrub__IdleSeconds=1 start_node "$lib" "$(free_port)"
read_bytes() { curl -sf "$NODE_URL/metrics" | awk '/^mfleet_scrub_read_bytes_total/ { s += $NF } END { printf "%.0f\n", s + 0 }'; }
log "budget node $NODE_URL (pid $NODE_PID): waiting for its first scrub round (it starts after 1 s idle)"
for _ in $(seq 100); do [ "$(read_bytes)" -gt 0 ] && break; sleep 0.2; done
sleep 2
b0="$(read_bytes)"; t0="$(now)"
sleep "$WINDOW"
b1="$(read_bytes)"; t1="$(now)"
rate="$(awk -v b="$((b1 - b0))" -v s="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.2f\n", b / 1000000 / s }')"
log "budget $BUDGET MB/s: read $((b1 - b0)) bytes in $(elapsed "$t0" "$t1") s = $rate MB/s (from mfleet_scrub_read_bytes_total)"

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
echo
echo "scrub.sh: $FILES x $(human "$SIZE"), medians of $REPS repetitions"
base="$(med openssl)"; value="$(med verify)"; r="$(ratio "$value" "$base")"
printf '  %-34s %8s MiB/s  [%s]\n' "openssl dgst -sha256 (baseline)" "$base" "${samples[openssl]% }"
printf '  %-34s %8s MiB/s  ratio %5s  target >= 0.9  [%s]\n' "scrub unthrottled (mfleet verify)" "$value" "$r" "${samples[verify]% }"
result "scrub unthrottled (mfleet verify)" "$value" "$base" "$r" ">= 0.9" "$(met "$r" '>=' 0.9)" "MiB/s vs openssl dgst -sha256"
budget_ratio="$(ratio "$rate" "$BUDGET")"
within="$(awk -v r="$budget_ratio" 'BEGIN { print (r >= 0.9 && r <= 1.1) ? "yes" : "NO" }')"
printf '  %-34s %8s MB/s   ratio %5s  target 0.9-1.1\n' "scrub at a $BUDGET MB/s budget" "$rate" "$budget_ratio"
result "scrub at a $BUDGET MB/s budget" "$rate" "$BUDGET" "$budget_ratio" "±10 %" "$within" "MB/s read vs the budget"
