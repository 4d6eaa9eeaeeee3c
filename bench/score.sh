#!/usr/bin/env bash
# Preservation-score benchmark (issue 6), run by hand: bench/ScoreBench builds a synthetic collection of SCORE_FILES
# files (default 1,000,000) on 5 nodes at 3 sites (one node silent; some copies absent, corrupt, of another digest,
# unverified), scores it once to warm up, then SCORE_RUNS times (default 5), and reports the median wall time of
# PreservationScorer.Score (Stopwatch, in-process) and the bytes each run allocates. Target: under 2 s.
# One process does all runs: scoring is pure CPU on an input in memory, so REPS does not apply.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILES="${SCORE_FILES:-1000000}"
RUNS="${SCORE_RUNS:-5}"
LIMIT_S=2

bench_init score
log "building bench/ScoreBench (Release) into $BENCH_TMP/scorebench"
if ! dotnet build "$BENCH_HOME/ScoreBench/ScoreBench.csproj" -c Release -o "$BENCH_TMP/scorebench" --nologo -v quiet \
    --disable-build-servers >"$BENCH_TMP/build.log" 2>&1; then
  cat "$BENCH_TMP/build.log" >&2
  echo "score.sh: building bench/ScoreBench failed" >&2
  exit 1
fi

cmd=(dotnet "$BENCH_TMP/scorebench/ScoreBench.dll" --files "$FILES" --runs "$RUNS")
log "running: ${cmd[*]}"
line="$("${cmd[@]}" | grep '^scorebench ' | tail -n1)"
[ -n "$line" ] || { echo "score.sh: ScoreBench printed no summary" >&2; exit 1; }
log "$line"

# field KEY -> its value in the scorebench line
field() { tr ' ' '\n' <<<"$line" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
fixed3() { awk -v v="$1" 'BEGIN { printf "%.3f\n", v }'; }
median_s="$(field median_s)"
samples="$(tr ',' '\n' <<<"$(field samples_s)" | while read -r s; do fixed3 "$s"; done | paste -sd' ')"
ok="$(met "$median_s" '<' "$LIMIT_S")"
[ "$ok" = yes ] && verdict=met || verdict="NOT met"

echo "scoring $(thousands "$FILES") files x $(field nodes) nodes: $(fixed3 "$median_s") s (median of $RUNS; samples $samples)," \
     "$(thousands "$(field alloc_bytes)") bytes allocated per run, collection score $(field collection) ($(field label | tr _ ' '))," \
     "target < $LIMIT_S s: $verdict"
result "score $(thousands "$FILES") files x $(field nodes) nodes" "$(fixed3 "$median_s")" "$LIMIT_S" "$(ratio "$median_s" "$LIMIT_S")" "< $LIMIT_S s" "$ok" "s (baseline = limit)"
