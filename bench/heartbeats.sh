#!/usr/bin/env bash
# Heartbeat benchmark (issue 5), run by hand: a coordinator with a 1,000-line nginx file takes heartbeats from
# bench/HeartbeatLoad, 1,000 simulated nodes every 2 s on loopback, each node at its own offset in the interval.
#  (a) steady: the coordinator's CPU (utime+stime from /proc/PID/stat over the measured window, as a fraction of
#      one core), its RSS, heartbeats/s answered 2xx and their latency. Target: under 0.5 core.
#  (b) burst: 100 nodes set force_down within 200 ms; after 3 x ReloadDebounce, the reloads run (target: one) and
#      the nginx file (exactly those 100 lines end in " down;", every other byte as before).
# No nginx runs: --nginx-test is `true` and --nginx-reload appends a line to a file, so reloads are counted.
# A fresh coordinator per repetition; the heartbeats flow through its start-up grace (DownAfter) and a warm-up first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# HB_ prefixes: DURATION is already get.sh's wrk duration ("10s") when run-all.sh passes the environment on.
NODES="${HB_NODES:-1000}"
INTERVAL="${HB_INTERVAL:-2}"
DURATION="${HB_DURATION:-30}"
BURST="${HB_BURST:-100}"
DEBOUNCE="${HB_DEBOUNCE:-2}"
RECOVER_AFTER="${HB_RECOVER_AFTER:-3}"
FIRST_PORT=20001
CPU_LIMIT=0.5
# calc EXPR -> its value; whole numbers print as such ("6", never "6.000"), others with 3 decimals.
calc() { awk "BEGIN { OFMT = \"%.3f\"; print $* }"; }
DOWN_AFTER="$(calc "3 * $INTERVAL")"
# Heartbeats before the measured window: the coordinator's grace (it touches nothing for DownAfter), then
# HB_WARMUP more seconds (default two intervals) so every node is settled up and the JIT is warm.
WARMUP="$(calc "$DOWN_AFTER + ${HB_WARMUP:-$(calc "2 * $INTERVAL")}")"
BURST_WAIT="$(calc "3 * $DEBOUNCE")"
# The generator keeps every node reporting while the reloads are counted, else silence would take them down.
HOLD="$(calc "$BURST_WAIT + 2 * $INTERVAL")"
CLK_TCK="$(getconf CLK_TCK)"

bench_init heartbeats
build_mfleet
# An unknown command's --help prints the root help and succeeds, so look for one of the coordinator's options.
if ! "$MFLEET" coordinator --help >"$BENCH_TMP/coordinator-help.txt" 2>&1 || ! grep -q -- '--nginx-conf' "$BENCH_TMP/coordinator-help.txt"; then
  head -n 20 "$BENCH_TMP/coordinator-help.txt" >&2
  echo "heartbeats.sh: '$MFLEET coordinator --help' does not show --nginx-conf: this tree has no coordinator command yet" >&2
  exit 1
fi
log "building the load generator (bench/HeartbeatLoad, Release)"
GEN_DIR="$BENCH_TMP/hbload"
if ! dotnet build "$BENCH_HOME/HeartbeatLoad/HeartbeatLoad.csproj" -c Release -o "$GEN_DIR" --nologo -v quiet \
    --disable-build-servers >"$BENCH_TMP/hbload-build.log" 2>&1; then
  cat "$BENCH_TMP/hbload-build.log" >&2
  echo "heartbeats.sh: building bench/HeartbeatLoad failed" >&2
  exit 1
fi

# utime + stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat; the name in field 2 may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# status_kib FIELD PID -> VmRSS, VmHWM, ... in KiB.
status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }
# core_fraction TICKS SECONDS -> CPU time as a fraction of one core.
core_fraction() { awk -v t="$1" -v hz="$CLK_TCK" -v s="$2" 'BEGIN { printf "%.3f\n", t / hz / s }'; }
lines_of() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
down_lines() { grep -c ' down;$' "$1" || true; }
# field KEY < "hbload k=v ..." line -> v
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# write_upstreams FILE: the threshold line, then one server line per simulated node.
write_upstreams() {
  { echo "# backup_threshold=0.7 down_threshold=1.5"
    seq "$FIRST_PORT" $((FIRST_PORT + NODES - 1)) | sed 's/.*/server 127.0.0.1:&;/'
  } >"$1"
}

# Drops a PID this script has already waited for from the clean-up list.
forget_pid() {
  local i
  for i in "${!BENCH_PIDS[@]}"; do [ "${BENCH_PIDS[i]}" = "$1" ] && unset 'BENCH_PIDS[i]'; done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
}

# Prints a process's log and stops the script.
fail_with_log() {
  echo "heartbeats.sh: $1; last lines of $2:" >&2
  tail -n 60 "$2" >&2 || true
  exit 1
}

# start_coordinator DIR -> COORD_PID, COORD_URL, COORD_LOG; fails with the log if it exits or never answers.
start_coordinator() {
  local dir="$1" port; port="$(free_port)"
  COORD_URL="http://127.0.0.1:$port"
  COORD_LOG="$dir/coordinator.log"
  COORD_CMD=("$MFLEET" coordinator --listen "$COORD_URL" --nginx-conf "$dir/upstreams.conf"
             --nginx-test true --nginx-reload "sh -c 'echo reload >> $dir/reloads'")
  COORD_ENV=(MFLEET_Coordinator__HeartbeatInterval="$INTERVAL" MFLEET_Coordinator__DownAfter="$DOWN_AFTER"
             MFLEET_Coordinator__RecoverAfter="$RECOVER_AFTER" MFLEET_Coordinator__ReloadDebounce="$DEBOUNCE")
  env "${COORD_ENV[@]}" "${COORD_CMD[@]}" >"$COORD_LOG" 2>&1 &
  COORD_PID=$!
  BENCH_PIDS+=("$COORD_PID")
  for _ in $(seq 600); do
    kill -0 "$COORD_PID" 2>/dev/null || { wait "$COORD_PID" || true; forget_pid "$COORD_PID"; fail_with_log "the coordinator exited before answering /healthz" "$COORD_LOG"; }
    curl -sf --noproxy '*' -o /dev/null "$COORD_URL/healthz" && break
    sleep 0.1
  done
  curl -sf --noproxy '*' -o /dev/null "$COORD_URL/healthz" || fail_with_log "the coordinator did not answer $COORD_URL/healthz within 60 s" "$COORD_LOG"
  # The launcher execs the build (native, or dotnet mfleet.dll), so this PID must be the coordinator itself, or the
  # CPU read below means nothing.
  local argv; argv="$(tr '\0' ' ' <"/proc/$COORD_PID/cmdline")"
  [[ "$argv" == *mfleet.dll\ coordinator* || "$argv" == *.build/mfleet/mfleet\ coordinator* ]] || fail_with_log "PID $COORD_PID is not the coordinator ($argv)" "$COORD_LOG"
  grep -q "mfleet coordinator serving on $COORD_URL" "$COORD_LOG" || log "warning: no 'mfleet coordinator serving on $COORD_URL' line in its log"
}

# wait_line FILE REGEX SECONDS: until a line of the generator's output matches; fails if it exits first.
wait_line() {
  local deadline; deadline=$(calc "$(now) + $3")
  until grep -q -- "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$GEN_PID" 2>/dev/null; then
      cat "$GEN_ERR" >&2
      fail_with_log "the load generator ended before printing '$2'" "$1"
    fi
    kill -0 "$COORD_PID" 2>/dev/null || fail_with_log "the coordinator exited during the run" "$COORD_LOG"
    awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && fail_with_log "no '$2' within $3 s" "$1"
    sleep 0.02
  done
}

log "$NODES nodes every $INTERVAL s, DownAfter $DOWN_AFTER s, RecoverAfter $RECOVER_AFTER, ReloadDebounce $DEBOUNCE s;" \
    "warm-up $WARMUP s, measured $DURATION s, burst of $BURST, reloads counted $BURST_WAIT s after it"
cores=(); rates=(); p99s=(); rsss=(); reloads=(); files_ok=0; errors_total=0
for rep in $(seq "$REPS"); do
  dir="$BENCH_TMP/rep-$rep"
  mkdir -p "$dir"
  write_upstreams "$dir/upstreams.conf"
  : >"$dir/reloads"
  start_coordinator "$dir"
  gen=(dotnet "$GEN_DIR/HeartbeatLoad.dll" --url "$COORD_URL" --nodes "$NODES" --interval "$INTERVAL"
       --warmup "$WARMUP" --duration "$DURATION" --burst "$BURST" --hold "$HOLD" --first-port "$FIRST_PORT")
  GEN_OUT="$dir/hbload.out"; GEN_ERR="$dir/hbload.err"
  "${gen[@]}" >"$GEN_OUT" 2>"$GEN_ERR" &
  GEN_PID=$!
  BENCH_PIDS+=("$GEN_PID")
  log "rep $rep: coordinator PID $COORD_PID at $COORD_URL, generator PID $GEN_PID; waiting $WARMUP s (grace + warm-up)"

  # (a) steady load: CPU between the generator's two markers, on this script's clock.
  wait_line "$GEN_OUT" '^phase measure start' "$(calc "$WARMUP + 60")"
  t0=$(now); c0=$(cpu_ticks "$COORD_PID"); r0=$(lines_of "$dir/reloads"); d0=$(down_lines "$dir/upstreams.conf")
  wait_line "$GEN_OUT" '^phase measure end' "$(calc "$DURATION + 60")"
  c1=$(cpu_ticks "$COORD_PID"); t1=$(now)
  rss=$(status_kib VmRSS "$COORD_PID"); hwm=$(status_kib VmHWM "$COORD_PID")
  r1=$(lines_of "$dir/reloads"); d1=$(down_lines "$dir/upstreams.conf")
  secs=$(elapsed "$t0" "$t1")
  core=$(core_fraction $((c1 - c0)) "$secs")
  [ "$r1" -eq 0 ] || log "rep $rep: warning: $r1 reload(s) before the burst ($((r1 - r0)) in the measured window)"
  [ "$d0" -eq 0 ] && [ "$d1" -eq 0 ] || log "rep $rep: warning: $d1 server line(s) down before the burst ($d0 at the window's start)"

  # (b) burst: reloads counted from the burst's start to 3 x ReloadDebounce after its last answer.
  wait_line "$GEN_OUT" '^phase burst start' 30
  rb=$(lines_of "$dir/reloads")
  wait_line "$GEN_OUT" '^phase burst sent' 30
  tb=$(now); first=""
  while awk -v n="$(now)" -v e="$(calc "$tb + $BURST_WAIT")" 'BEGIN { exit !(n < e) }'; do
    [ -z "$first" ] && [ "$(lines_of "$dir/reloads")" -gt "$rb" ] && first=$(elapsed "$tb" "$(now)")
    sleep 0.05
  done
  ra=$(lines_of "$dir/reloads")
  n_reloads=$((ra - rb))
  down=$(down_lines "$dir/upstreams.conf")
  # The exact file expected: nodes 2..BURST+1 (ports FIRST_PORT+1..FIRST_PORT+BURST) down, every other line as written.
  write_upstreams "$dir/written.conf"
  awk -v lo=$((FIRST_PORT + 1)) -v hi=$((FIRST_PORT + BURST)) '
    /^server 127\.0\.0\.1:[0-9]+;$/ { p = substr($0, 18, length($0) - 18) + 0; if (p >= lo && p <= hi) sub(/;$/, " down;") }
    { print }' "$dir/written.conf" >"$dir/expected-down.conf"
  if cmp -s "$dir/expected-down.conf" "$dir/upstreams.conf"; then file_ok=yes; files_ok=$((files_ok + 1)); else file_ok=NO; fi

  wait "$GEN_PID" || log "rep $rep: the load generator exited with status $?"
  forget_pid "$GEN_PID"
  summary="$(grep '^hbload ' "$GEN_OUT" | tail -n1)"
  [ -n "$summary" ] || fail_with_log "the load generator printed no summary" "$GEN_OUT"
  rate=$(field hb_per_s <<<"$summary"); p99=$(field p99_ms <<<"$summary")
  errors=$(( $(field errors <<<"$summary") + $(field warmup_errors <<<"$summary") + $(field burst_errors <<<"$summary") + $(field hold_errors <<<"$summary") ))
  errors_total=$((errors_total + errors))
  [ "$errors" -eq 0 ] || { log "rep $rep: $errors heartbeat(s) not answered 2xx; first errors:"; head -n 5 "$GEN_ERR" >&2; }
  grep -v '^phase ' "$GEN_OUT" | sed 's/^/    /' >&2
  bench_stop "$COORD_PID"
  if grep -qiE 'warn|fail|error|exception' "$COORD_LOG"; then
    log "rep $rep: the coordinator's log has $(grep -ciE 'warn|fail|error|exception' "$COORD_LOG") warning/error line(s), first ones:"
    grep -iE 'warn|fail|error|exception' "$COORD_LOG" | head -n 5 | sed 's/^/    /' >&2
  fi
  log "rep $rep: coordinator $core core over ${secs}s ($((c1 - c0)) ticks at $CLK_TCK/s), RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)," \
      "$rate hb/s handled, p99 $p99 ms; burst: $n_reloads reload(s) (first ${first:-none} s after the burst's last answer)," \
      "$down lines down (expected $BURST), file as expected: $file_ok"
  log "  commands: $(printf '%q ' "${COORD_ENV[@]}" "${COORD_CMD[@]}")"
  log "            $(printf '%q ' "${gen[@]}") (token from MFLEET_TOKEN)"
  [ "$file_ok" = yes ] || { log "  nginx file differs from the expected one:"; diff "$dir/expected-down.conf" "$dir/upstreams.conf" | head -n 20 >&2 || true; }
  cores+=("$core"); rates+=("$rate"); p99s+=("$p99"); rsss+=("$(awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }')"); reloads+=("$n_reloads")
  rm -rf "$dir"
done

med() { printf '%s\n' "$@" | median; }
fixed() { awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, v }'; }
core=$(fixed "$(med "${cores[@]}")" 3); rate=$(fixed "$(med "${rates[@]}")" 1); p99=$(fixed "$(med "${p99s[@]}")" 2)
rss=$(fixed "$(med "${rsss[@]}")" 1); nr=$(med "${reloads[@]}")
offered=$(calc "$NODES / $INTERVAL")
echo
echo "heartbeats.sh: one coordinator, $NODES simulated nodes on loopback, medians of $REPS fresh coordinators"
echo "heartbeats: $NODES nodes / $INTERVAL s: $core core (samples ${cores[*]}), $rate hb/s handled of $offered offered" \
     "(samples ${rates[*]}), p99 $p99 ms (samples ${p99s[*]}), RSS $rss MiB (samples ${rsss[*]}), $errors_total errors;" \
     "burst of $BURST changes: $nr reload (samples ${reloads[*]}), nginx file right in $files_ok of $REPS"
result "heartbeats $NODES nodes/$INTERVAL s (core)" "$core" "$CPU_LIMIT" "$(ratio "$core" "$CPU_LIMIT")" "< 0.5 core" "$(met "$core" '<' "$CPU_LIMIT")" "fraction of a core (baseline = limit)"
hb_ok=$(awk -v r="$rate" -v o="$offered" -v e="$errors_total" 'BEGIN { print (r >= 0.99 * o && e == 0) ? "yes" : "NO" }')
result "  heartbeats/s handled" "$rate" "$offered" "$(ratio "$rate" "$offered")" "all, 0 err" "$hb_ok" "hb/s (baseline = offered; $errors_total errors)"
burst_ok=$(awk -v n="$nr" -v f="$files_ok" -v r="$REPS" 'BEGIN { print (n == 1 && f == r) ? "yes" : "NO" }')
result "burst of $BURST changes (reloads)" "$nr" 1 "$(ratio "$nr" 1)" "1 reload" "$burst_ok" "reloads (baseline = target; file right in $files_ok/$REPS)"
