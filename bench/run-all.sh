#!/usr/bin/env bash
# Runs get.sh, ingest.sh, memory.sh, replication.sh, heartbeats.sh, scrub.sh, score.sh and conversion.sh in order (REPS repetitions each, default 3) and prints one summary table.
# BENCHES="..." picks others: scale.sh (a 1,000,000-file library, ~12 GiB, long) and soak.sh run only when named, e.g. BENCHES="replication scale".
# Each script's full output (per-run numbers and the exact commands) is kept in bench/results/<time>/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$here/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
export REPS="${REPS:-3}"

failed=()
for script in ${BENCHES:-get ingest memory replication heartbeats scrub score conversion}; do
  echo "== $script.sh (REPS=$REPS) -> $out/$script.log" >&2
  if ! "$here/$script.sh" >"$out/$script.out" 2>"$out/$script.log"; then
    failed+=("$script")
    echo "   $script.sh FAILED; see $out/$script.log" >&2
  fi
  grep -v '^RESULT|' "$out/$script.out" >&2 || true
done

{
  echo
  printf '%-32s | %10s | %10s | %5s | %-9s | %-4s | %s\n' benchmark node baseline ratio target met unit
  printf '%s\n' "---------------------------------|------------|------------|-------|-----------|------|------"
  cat "$out"/*.out | grep '^RESULT|' | while IFS='|' read -r _ name node base r target ok unit; do
    printf '%-32s | %10s | %10s | %5s | %-9s | %-4s | %s\n' "$name" "$node" "$base" "$r" "$target" "$ok" "$unit"
  done
} | tee "$out/summary.txt"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}" >&2; exit 1; }
