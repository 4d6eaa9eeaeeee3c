#!/usr/bin/env bash
# Scale benchmarks (issue 12, item 6), run by hand, on libraries of small files (4 KiB each) at each of SIZES:
#  (a) catch-up: a follower stopped (SIGTERM), 10 changes on the primary (5 new, 3 replaced, 2 deleted), follower
#      started again: wall time from its process start to its /v1/status version equal to the primary's, the time
#      from its first upstream answer to the changes applied (its log lines), its /healthz time and its idle RSS;
#      against `rsync -a --delete` of the same change (warm cache, same run).
#  (b) provisioning at PROV_FILES: an empty follower provisions from the primary, files/s, against `rsync -a` of
#      the same tree into an empty folder.
#  (c) adoption: a follower whose folder an old rsync filled is started against the primary and hashes and keeps
#      the files (DESIGN.md section 5), against that rsync's copy from nothing; and `mfleet adopt` of the primary.
#  (d) node start-up: the primary restarted with its catalog, time to /healthz 200 and its RSS after start.
# Per size the primary's folder is filled (openssl rand | split, 1000 files a folder) and adopted; the follower of
# (a) is the one (c) made. Each size's trees are deleted before the next size starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Smallest first: (a) compares the largest size's applied time with the smallest's.
SIZES="$(printf '%s\n' ${SIZES:-20000 200000 1000000} | sort -n | tr '\n' ' ')"; SIZES="${SIZES% }"
PROV_FILES="${PROV_FILES:-200000}"
PROV_REPS="${PROV_REPS:-1}"          # (b) repetitions (each one a full provisioning)
ONLY="${ONLY:-abcd}"                 # any combination of a, b, c, d; (a) needs (c)'s follower, so it runs (c) too
SETTLE="${SETTLE:-2}"                # seconds idle before an RSS is read "after start" / "once caught up"
START_TIMEOUT="${START_TIMEOUT:-900}"  # seconds a node may take to answer /healthz
SYNC_TIMEOUT="${SYNC_TIMEOUT:-14400}"  # seconds a follower may take to reach the primary's version (adoption at 1M)
LOGS="${LOGS:-}"                     # a folder to keep every node's log in (default: the temp folder, removed at exit)
SMALL=4096

bench_init scale
LOG_DIR="$BENCH_TMP"
[ -n "$LOGS" ] && { mkdir -p "$LOGS"; LOG_DIR="$(cd "$LOGS" && pwd)"; }
build_mfleet
# The built program, started directly: the launcher's staleness check would land inside the start-up times.
built_mfleet
NODE=("${BUILT[@]}")
for n in $SIZES $PROV_FILES; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1000 ] || { echo "sizes must be whole numbers >= 1000 (got '$n')" >&2; exit 2; }
done
[ "$REPS" -ge 1 ] && [ "$REPS" -le 25 ] || { echo "REPS must be 1..25 (each repetition of (a) changes its own files)" >&2; exit 2; }
PROBLEMS=()
problem() { log "PROBLEM: $*"; PROBLEMS+=("$*"); }

# ---- helpers ----

# Microseconds since the epoch, without starting a process (the polls below run every 10 ms).
us() { local t="${EPOCHREALTIME//[.,]/}"; echo "$t"; }
secs() { local s; secs_v s "$1" "$2"; echo "$s"; }
# secs_v VAR A B: secs into VAR, without a process (the polls that time a start-up use it).
secs_v() { local d=$(( $3 - $2 + 500 )); printf -v "$1" '%d.%03d' $(( d / 1000000 )) $(( d % 1000000 / 1000 )); }
# Median of the numbers on stdin with 3 decimals (lib.sh's median prints what awk prints).
med() { median | awk '{ printf "%.3f\n", $1 }'; }
med1() { median | awk '{ printf "%.1f\n", $1 }'; }
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) print "nan"; else printf "%.0f\n", n / s }'; }
CLK_TCK="$(getconf CLK_TCK)"
# CPU seconds (user + system) a process used so far: wall time against CPU tells waiting (fsync, locks) from work.
cpu_s() { awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"; }
# timed CMD... -> runs it, sets T_WALL (s) and T_CPU (user + system s of it and its children); stops the run if it fails.
timed() {
  local t0 TIMEFORMAT='%3U %3S' u sy
  t0=$(us)
  { time "$@" >"$BENCH_TMP/timed.out" 2>&1; } 2>"$BENCH_TMP/timed.time" || fail_with_log "failed: $*" "$BENCH_TMP/timed.out"
  T_WALL=$(secs "$t0" "$(us)")
  read -r u sy <"$BENCH_TMP/timed.time"
  T_CPU=$(awk -v a="$u" -v b="$sy" 'BEGIN { printf "%.2f\n", a + b }')
}
# ms_per CPU_S FILES -> CPU milliseconds per file.
ms_per() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f\n", c * 1000 / n }'; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }

# Seconds the process's live threads waited for a CPU (run queue, /proc/PID/task/*/schedstat): on a shared machine this
# tells "waiting for a core" from "waiting for the disk" when CPU time is far below wall time.
runq_s() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $2 } END { printf "%.2f\n", s / 1e9 }'; }
# In the background, the slowest of 4 answers of URL/healthz 0.5 s apart (does a busy node still answer?) -> HB_PID;
# health_probe_wait waits for it and sets HB_WORST.
health_probe() {
  HB_FILE="$BENCH_TMP/health-probe"
  ( worst=0
    for _ in 1 2 3 4; do
      t="$(curl -s -o /dev/null -w '%{time_total}' --max-time 30 "$1/healthz" || echo 30)"
      worst="$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a) ? b : a }')"
      sleep 0.5
    done
    echo "$worst" >"$HB_FILE" ) &
  HB_PID=$!
  BENCH_PIDS+=("$HB_PID")
}
health_probe_wait() {
  local i
  wait "$HB_PID" || true
  for i in "${!BENCH_PIDS[@]}"; do [ "${BENCH_PIDS[i]}" = "$HB_PID" ] && unset 'BENCH_PIDS[i]'; done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
  HB_WORST="$(cat "$HB_FILE" 2>/dev/null || echo '?')"
}
rss_mib() { awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }
# Sleeps about 1 % of the time waited so far (10 ms to 0.5 s): fine resolution early, little load on long waits. No
# process is started (lib.sh's nap): the polls run while the node under test starts.
poll_sleep() {
  local d=$(( (${EPOCHREALTIME//[.,]/} - $1) / 100 ))
  ((d < 10000)) && d=10000; ((d > 500000)) && d=500000
  printf -v d '0.%06d' "$d"; nap "$d"
}

fail_with_log() {
  echo "scale.sh: $1" >&2
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "--- last lines of $2:" >&2; tail -n 30 "$2" >&2; }
  exit 1
}

# launch DATA PORT ROLE-ARGS... -> L_PID, L_URL, L_LOG, L_T0 (µs, just before the process starts)
launch() {
  local data="$1" port="$2"; shift 2
  mkdir -p "$data"
  L_LOG="$LOG_DIR/node-$port-$(date +%s%N).log"
  L_URL="http://127.0.0.1:$port"
  L_T0=$(us)
  "${NODE[@]}" node --data "$data" "$@" --listen "$L_URL" >"$L_LOG" 2>&1 &
  L_PID=$!
  BENCH_PIDS+=("$L_PID")
}

# start_node_measured DATA PORT ROLE-ARGS... -> launch's L_*, L_HEALTH (seconds to /healthz 200) and L_HEALTH_REQ
# (seconds that answering request took). Another program on
# this shared machine may take a port between free_port and the bind (or while a follower is down): then a new port.
start_node_measured() {
  local data="$1" port="$2" try rc; shift 2
  for try in 1 2 3 4 5; do
    launch "$data" "$port" "$@"
    if L_HEALTH=$(wait_health "$L_URL" "$L_PID" "$L_LOG" "$L_T0"); then
      L_HEALTH_REQ="${L_HEALTH#* }"; L_HEALTH="${L_HEALTH%% *}"
      return 0
    else rc=$?; fi
    [ "$rc" = 3 ] || exit 1
    log "  port $port was taken by another program; starting again on another"
    bench_stop "$L_PID"
    port="$(free_port)"
  done
  fail_with_log "no free port after 5 tries" "$L_LOG"
}

# wait_health URL PID LOG T0 -> "S R": seconds from T0 to the first 200 of /healthz, and how long that one request
# took (a request sent while the node starts may wait inside it); status 3 when the port was taken.
wait_health() {
  local url="$1" pid="$2" logf="$3" t0="$4" sent done
  while true; do
    sent=${EPOCHREALTIME//[.,]/}
    if http_get "${url##*:}" /healthz && [ "$HTTP_STATUS" = 200 ]; then
      done=${EPOCHREALTIME//[.,]/}
      local total took; secs_v total "$t0" "$done"; secs_v took "$sent" "$done"
      echo "$total $took"; return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      grep -q 'address already in use' "$logf" && return 3
      fail_with_log "the node at $url (pid $pid) exited before /healthz answered" "$logf"
    fi
    (( ${EPOCHREALTIME//[.,]/} - t0 > START_TIMEOUT * 1000000 )) && fail_with_log "timed out after ${START_TIMEOUT}s (START_TIMEOUT) waiting for $url/healthz" "$logf"
    poll_sleep "$t0"
  done
}

version_of() {
  local body
  body="$(curl -s --max-time 5 "$1/v1/status" 2>/dev/null || true)"
  [[ "$body" =~ \"version\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo -1
}
files_of() {
  local body
  body="$(curl -s --max-time 5 "$1/v1/status" 2>/dev/null || true)"
  [[ "$body" =~ \"files\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo -1
}

# wait_version WANT URL PID LOG T0 -> seconds from T0 until URL's /v1/status version is WANT.
wait_version() {
  local want="$1" url="$2" pid="$3" logf="$4" t0="$5" v
  while true; do
    v=-1
    http_get "${url##*:}" /v1/status && [[ "$HTTP_BODY" =~ \"version\":([0-9]+) ]] && v="${BASH_REMATCH[1]}"
    if [ "$v" = "$want" ]; then local total; secs_v total "$t0" "${EPOCHREALTIME//[.,]/}"; echo "$total"; return 0; fi
    kill -0 "$pid" 2>/dev/null || fail_with_log "the follower at $url (pid $pid) exited at version $v, before reaching $want" "$logf"
    (( ${EPOCHREALTIME//[.,]/} - t0 > SYNC_TIMEOUT * 1000000 )) && fail_with_log "timed out after ${SYNC_TIMEOUT}s (SYNC_TIMEOUT): follower $url at version $v, primary at $want" "$logf"
    poll_sleep "$t0"
  done
}

# log_span LOG FIRST LAST -> seconds between the first line matching FIRST and the last matching LAST (HH:mm:ss.fff).
log_span() {
  local a b
  a="$(grep -m1 -- "$2" "$1" | awk '{print $1}')" || true
  b="$(grep -- "$3" "$1" | tail -n1 | awk '{print $1}')" || true
  [ -n "$a" ] || fail_with_log "no log line '$2' in $1" "$1"
  [ -n "$b" ] || fail_with_log "no log line '$3' in $1" "$1"
  awk -v a="$a" -v b="$b" 'function s(t, p) { split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
    BEGIN { d = s(b) - s(a); if (d < 0) d += 86400; printf "%.3f\n", d }'
}

# since_start LOG PATTERN T0 -> seconds from T0 (µs since the epoch) to the first log line matching PATTERN; "?" if none.
# Log stamps are local time of day, like date's.
since_start() {
  local stamp
  stamp="$(grep -m1 -- "$2" "$1" | awk '{print $1}')" || true
  [ -n "$stamp" ] || { echo "?"; return; }
  awk -v s="$stamp" -v t0="$(date -d "@$(( $3 / 1000000 ))" +%H:%M:%S)" -v frac="$(( $3 % 1000000 ))" \
    'function sec(t, p) { split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
     BEGIN { d = sec(s) - sec(t0) - frac / 1e6; if (d < -43200) d += 86400; printf "%.3f\n", d }'
}

# Removes a tree of many small files, a few folders at a time (one rm -rf of 20,000 files took 28 s here, 8 in parallel 4 s).
remove_tree() {
  local t0; t0=$(us)
  [ -d "$1" ] || return 0
  find "$1" -mindepth 1 -maxdepth 1 -print0 | xargs -0 -r -P 8 -n 1 rm -rf
  rm -rf "$1"
  log "  removed $1 in $(secs "$t0" "$(us)")s"
}

# A node's counter from /metrics (Prometheus text), summed over its labels (0 until first counted); "?" without an answer.
metric() {
  local text
  text="$(curl -sf --max-time 10 -H "Authorization: Bearer $MFLEET_TOKEN" "$1/metrics" 2>/dev/null)" || { echo "?"; return; }
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }' <<<"$text"
}

# Stops a node by PID with SIGTERM (bench_stop) and logs how long it took.
stop_node() {
  local t0; t0=$(us)
  bench_stop "$1"
  log "  stopped pid $1 in $(secs "$t0" "$(us)")s"
}

# make_tree DIR N: N files of 4 KiB in folders d0, d1, ... of 1000 files each (split names them faaaa, faaab, ...).
make_tree() {
  local dir="$1" n="$2" dirs i
  dirs=$(( (n + 999) / 1000 ))
  mkdir -p "$dir"
  for ((i = 0; i < dirs; i++)); do
    echo "$i $(( i < dirs - 1 ? 1000 : n - 1000 * (dirs - 1) ))"
  done | xargs -P "$(nproc)" -n 2 bash -c 'mkdir -p "$0/d$1" && openssl rand $(('"$SMALL"' * $2)) | split -b '"$SMALL"' -a 4 - "$0/d$1/f"' "$dir"
}

# Fails early when the disk cannot hold TREES copies of N small files (blocks, inodes, catalogs: ~5 KiB a file).
check_disk() {
  local n="$1" trees="$2" need avail
  need=$(( n * 5120 * trees ))
  avail=$(df -B1 --output=avail "$BENCH_TMP" | tail -n1 | tr -d ' ')
  log "disk: $(human "$need") needed for $trees trees of $n files, $(human "$avail") free ($(df -h --output=target "$BENCH_TMP" | tail -n1))"
  [ "$avail" -gt "$need" ] || { echo "scale.sh: not enough disk for $n files: need $(human "$need"), have $(human "$avail")" >&2; exit 1; }
}

put() { curl -sf -o /dev/null -T "$2" -H "Authorization: Bearer $MFLEET_TOKEN" "$1/files/$3" || { echo "PUT $3 failed" >&2; return 1; }; }
del() { curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $MFLEET_TOKEN" "$1/files/$2" || { echo "DELETE $2 failed" >&2; return 1; }; }

# The sorted manifest of a node (for comparing two nodes' holdings, untimed).
manifest() { curl -sf -H "Authorization: Bearer $MFLEET_TOKEN" "$1/v1/manifest" | sort; }

# build_primary N -> P_PID, P_URL, P_LOG, P_DIR; records the `mfleet adopt` time.
declare -A ADOPT_S ADOPT_RATE ADOPT_CPU
build_primary() {
  local n="$1" t0 port
  P_DIR="$BENCH_TMP/s$n/primary"
  log "[$n] making $n files of 4 KiB in $P_DIR"
  t0=$(us); make_tree "$P_DIR" "$n"; log "[$n]   made in $(secs "$t0" "$(us)")s"
  port="$(free_port)"
  start_node_measured "$P_DIR" "$port" --primary
  P_PID=$L_PID; P_URL=$L_URL; P_LOG=$L_LOG
  log "[$n]   primary pid $P_PID on the folder before adoption: /healthz after ${L_HEALTH}s"
  local pcpu prunq; pcpu=$(cpu_s "$P_PID"); prunq=$(runq_s "$P_PID")
  timed timeout "$SYNC_TIMEOUT" "$MFLEET" adopt --node "$P_URL"
  ADOPT_S[$n]=$T_WALL
  ADOPT_CPU[$n]=$(awk -v c="$T_CPU" -v d="$(delta "$pcpu" "$(cpu_s "$P_PID")")" 'BEGIN { printf "%.2f\n", c + d }')
  ADOPT_RATE[$n]=$(per_s "$n" "${ADOPT_S[$n]}")
  local files; files="$(files_of "$P_URL")"
  [ "$files" = "$n" ] || fail_with_log "after mfleet adopt the primary holds $files files, not $n" "$P_LOG"
  log "[$n]   mfleet adopt: ${ADOPT_S[$n]}s, ${ADOPT_RATE[$n]} files/s (CPU of the CLI and the primary ${ADOPT_CPU[$n]}s," \
      "its threads waited $(awk -v a="$prunq" -v b="$(runq_s "$P_PID")" 'BEGIN { printf "%.2f", b - a }')s for a core);" \
      "primary at version $(version_of "$P_URL"), RSS $(rss_mib "$P_PID") MiB"
}

# ---- results, by size ----
declare -A A_CAUGHT A_APPLIED A_HEALTH A_RSS A_RSYNC A_SAMPLES
declare -A C_RSYNC C_RSYNC_CPU C_CPU C_TOTAL C_SPAN C_HEALTH C_KEPT C_FETCHED
declare -A D_HEALTH D_RSS0 D_RSS1 D_SAMPLES D_HWM
B_ROWS=()
LETTERS=(a b c d e f g h i j k l m n o p q r s t u v w x y z)

# ---- (d) the primary restarted with its catalog ----
part_d() {
  local n="$1" port="${P_URL##*:}" hs=() r0=() r1=() h rep
  for rep in $(seq "$REPS"); do
    stop_node "$P_PID"
    start_node_measured "$P_DIR" "$port" --primary
    P_PID=$L_PID; P_URL=$L_URL; P_LOG=$L_LOG; port="${P_URL##*:}"
    h=$L_HEALTH
    hs+=("$h"); r0+=("$(rss_mib "$P_PID")")
    sleep "$SETTLE"; r1+=("$(rss_mib "$P_PID")")
    log "[$n] (d) rep $rep: primary /healthz after ${h}s (listening after $(since_start "$P_LOG" "Now listening" "$L_T0")s by its log; that request took ${L_HEALTH_REQ}s);" \
        "RSS ${r0[-1]} MiB then, ${r1[-1]} MiB ${SETTLE}s later"
  done
  D_HEALTH[$n]=$(printf '%s\n' "${hs[@]}" | med)
  D_RSS0[$n]=$(printf '%s\n' "${r0[@]}" | med1)
  D_RSS1[$n]=$(printf '%s\n' "${r1[@]}" | med1)
  D_SAMPLES[$n]="${hs[*]}"
}

# ---- (c) a follower on an rsync-filled folder -> F_PID, F_URL, F_LOG, F_DIR ----
part_c() {
  local n="$1" t0 want port
  F_DIR="$BENCH_TMP/s$n/follower"
  find "$P_DIR" -type f | wc -l >/dev/null   # warm the primary's metadata
  timed rsync -a --exclude .mfleet "$P_DIR/" "$F_DIR/"; C_RSYNC[$n]=$T_WALL; C_RSYNC_CPU[$n]=$T_CPU
  log "[$n] (c) rsync -a into an empty folder: ${C_RSYNC[$n]}s ($(per_s "$n" "${C_RSYNC[$n]}") files/s), CPU ${T_CPU}s"
  want="$(version_of "$P_URL")"
  port="$(free_port)"
  start_node_measured "$F_DIR" "$port" --upstream "$P_URL"
  F_PID=$L_PID; F_URL=$L_URL; F_LOG=$L_LOG
  C_HEALTH[$n]=$L_HEALTH
  local pcpu; pcpu=$(cpu_s "$P_PID")
  health_probe "$F_URL"
  C_TOTAL[$n]=$(wait_version "$want" "$F_URL" "$F_PID" "$F_LOG" "$L_T0")
  health_probe_wait
  C_CPU[$n]=$(cpu_s "$F_PID")
  log "[$n] (c)   CPU: follower ${C_CPU[$n]}s (its threads waited $(runq_s "$F_PID")s for a core), primary $(awk -v a="$pcpu" -v b="$(cpu_s "$P_PID")" 'BEGIN { printf "%.2f", b - a }')s in ${C_TOTAL[$n]}s;" \
      "slowest of 4 /healthz in its first 2 s of work ${HB_WORST}s; RSS $(rss_mib "$F_PID") MiB"
  C_SPAN[$n]=$(log_span "$F_LOG" "Provisioning from" "Provisioned")
  C_KEPT[$n]=$(metric "$F_URL" mfleet_replication_kept_total)
  C_FETCHED[$n]=$(metric "$F_URL" mfleet_replication_transfers_total)
  local files; files="$(files_of "$F_URL")"
  [ "$files" = "$n" ] || problem "[$n] (c) the adopted follower holds $files files, not $n"
  [ "${C_KEPT[$n]}" = "$n" ] || problem "[$n] (c) the follower kept ${C_KEPT[$n]} of $n files (fetched ${C_FETCHED[$n]})"
  log "[$n] (c) follower adopted the rsync copy: /healthz ${C_HEALTH[$n]}s (listening after $(since_start "$F_LOG" "Now listening" "$L_T0")s; that request took ${L_HEALTH_REQ}s), version $want after ${C_TOTAL[$n]}s from its start" \
      "(Provisioning from -> Provisioned ${C_SPAN[$n]}s), kept ${C_KEPT[$n]}, fetched ${C_FETCHED[$n]}"
  grep -m3 -E 'warn|fail|crit' "$F_LOG" | sed "s/^/[$n] (c)   follower log: /" >&2 || true
}

# ---- (a) catch-up after 10 changes, REPS times ----
part_a() {
  local n="$1" mirror="$BENCH_TMP/s$n/mirror" work="$BENCH_TMP/s$n/work" port="${F_URL##*:}"
  local full=$(( n / 1000 )) caught=() applied=() health=() rss=() rsyncs=() rep i letter want t0 rs
  mkdir -p "$work"
  t0=$(us); rsync -a --exclude .mfleet "$P_DIR/" "$mirror/"
  log "[$n] (a) mirror for rsync made in $(secs "$t0" "$(us)")s; a throw-away rsync -a --delete warms both trees"
  rsync -a --delete --exclude .mfleet "$P_DIR/" "$mirror/"
  for rep in $(seq "$REPS"); do
    stop_node "$F_PID"
    letter="${LETTERS[rep]}"
    t0=$(us)
    for i in 1 2 3 4 5; do random_file "$work/new-$rep-$i" "$SMALL"; put "$P_URL" "$work/new-$rep-$i" "new/r$rep-$i.bin"; done
    # Existing files, a different one each time: faaa<letter>, faab<letter>, faac<letter> replaced, faad/faae deleted.
    for i in 1 2 3; do random_file "$work/rep-$rep-$i" "$SMALL"; put "$P_URL" "$work/rep-$rep-$i" "d$(( (i - 1) % full ))/faa${LETTERS[i - 1]}$letter"; done
    for i in 4 5; do del "$P_URL" "d$(( (i - 1) % full ))/faa${LETTERS[i - 1]}$letter"; done
    want="$(version_of "$P_URL")"
    log "[$n] (a) rep $rep: 10 changes made on the primary in $(secs "$t0" "$(us)")s (curl -T / curl -X DELETE, one at a time); version $want"
    # Each side starts with no other writer's dirty pages in flight: the mirror's 4 GB copy at 1,000,000 files was
    # still being written back when the follower started, and its first flush waited for it.
    sync
    t0=$(us); rsync -a --delete --exclude .mfleet "$P_DIR/" "$mirror/"; rs=$(secs "$t0" "$(us)")
    sync
    start_node_measured "$F_DIR" "$port" --upstream "$P_URL"
    F_PID=$L_PID; F_URL=$L_URL; F_LOG=$L_LOG; port="${F_URL##*:}"
    health+=("$L_HEALTH")
    caught+=("$(wait_version "$want" "$F_URL" "$F_PID" "$F_LOG" "$L_T0")")
    applied+=("$(log_span "$F_LOG" "Connected to upstream" "Applied")")
    log "[$n] (a)   follower CPU $(cpu_s "$F_PID")s (its threads waited $(runq_s "$F_PID")s for a core) from its start to caught up + a status poll"
    sleep "$SETTLE"; rss+=("$(rss_mib "$F_PID")")
    rsyncs+=("$rs")
    log "[$n] (a) rep $rep: follower /healthz ${health[-1]}s (listening after $(since_start "$F_LOG" "Now listening" "$L_T0")s, that request took ${L_HEALTH_REQ}s; 'Connected to upstream' after $(since_start "$F_LOG" "Connected to upstream" "$L_T0")s), caught up ${caught[-1]}s after its start," \
        "${applied[-1]}s from its first upstream answer to the changes applied, RSS ${rss[-1]} MiB idle; rsync -a --delete ${rs}s"
    log "[$n]   follower log: $(grep -E 'Connected to upstream|Applied' "$F_LOG" | tr '\n' ' ')"
  done
  if [ "$(manifest "$P_URL" | sha256sum)" = "$(manifest "$F_URL" | sha256sum)" ]; then
    log "[$n] (a) the follower's manifest equals the primary's"
  else
    problem "[$n] (a) the follower's manifest differs from the primary's"
  fi
  A_CAUGHT[$n]=$(printf '%s\n' "${caught[@]}" | med)
  A_APPLIED[$n]=$(printf '%s\n' "${applied[@]}" | med)
  A_HEALTH[$n]=$(printf '%s\n' "${health[@]}" | med)
  A_RSS[$n]=$(printf '%s\n' "${rss[@]}" | med1)
  A_RSYNC[$n]=$(printf '%s\n' "${rsyncs[@]}" | med)
  A_SAMPLES[$n]="caught [${caught[*]}] applied [${applied[*]}] rsync [${rsyncs[*]}]"
  remove_tree "$mirror"; rm -rf "$work"
}

# ---- (b) an empty follower provisions; rsync -a into an empty folder ----
part_b() {
  local n rep rs rcpu ncpu total span port want copy fresh
  # After (a) the primary holds a few files more than its size: count what it holds.
  n="$(files_of "$P_URL")"
  local kept=()
  for rep in $(seq "$PROV_REPS"); do
    copy="$(dirname "$P_DIR")/rsync-copy-$rep"; fresh="$(dirname "$P_DIR")/fresh-$rep"
    find "$P_DIR" -type f | wc -l >/dev/null
    timed rsync -a --exclude .mfleet "$P_DIR/" "$copy/"; rs=$T_WALL; rcpu=$T_CPU
    # Every repetition's trees go only after the last one: on ext4 without a journal (this VM's), new inodes are placed
    # around those deleted in the last five minutes, or 305 s while the inode table is dirty (find_inode_bit's
    # recently_deleted), and creating 200,000 files just after deleting as many cost the follower a third of its CPU
    # in one run and 45 % more time in another, a cost rsync, which ran on a quiet disk, never paid.
    want="$(version_of "$P_URL")"
    port="$(free_port)"
    local pcpu busy; pcpu=$(cpu_s "$P_PID")
    start_node_measured "$fresh" "$port" --upstream "$P_URL"
    health_probe "$L_URL"
    total=$(wait_version "$want" "$L_URL" "$L_PID" "$L_LOG" "$L_T0")
    health_probe_wait
    ncpu=$(awk -v f="$(cpu_s "$L_PID")" -v d="$(delta "$pcpu" "$(cpu_s "$P_PID")")" 'BEGIN { printf "%.2f\n", f + d }')
    log "[$n] (b)   CPU: follower $(cpu_s "$L_PID")s (its threads waited $(runq_s "$L_PID")s for a core), primary $(awk -v a="$pcpu" -v b="$(cpu_s "$P_PID")" 'BEGIN { printf "%.2f", b - a }')s in ${total}s;" \
        "slowest of 4 /healthz in its first 2 s of work ${HB_WORST}s; RSS $(rss_mib "$L_PID") MiB"
    span=$(log_span "$L_LOG" "Provisioning from" "Provisioned")
    local files; files="$(files_of "$L_URL")"
    [ "$files" = "$n" ] || problem "[$n] (b) the provisioned follower holds $files files, not $n"
    log "[$n] (b) rep $rep: provisioned $n files in ${total}s from process start (${span}s Provisioning from -> Provisioned," \
        "fetched $(metric "$L_URL" mfleet_replication_transfers_total)); rsync -a into an empty folder ${rs}s (CPU ${rcpu}s)"
    stop_node "$L_PID"; kept+=("$fresh" "$copy")
    B_ROWS+=("$n $total $span $rs $ncpu $rcpu")
  done
  local tree; for tree in "${kept[@]}"; do remove_tree "$tree"; done
}

# ---- the runs ----
run_size() {
  local n="$1"
  local trees=3
  [[ "$ONLY" == *b* ]] && [ "$n" = "$PROV_FILES" ] && trees=$(( 2 + 2 * PROV_REPS ))
  check_disk "$n" "$trees"
  build_primary "$n"
  [[ "$ONLY" == *d* ]] && part_d "$n"
  if [[ "$ONLY" == *[ac]* ]]; then
    part_c "$n"
    [[ "$ONLY" == *a* ]] && part_a "$n"
    log "[$n] follower's peak RSS (VmHWM) since its last start $(hwm_mib "$F_PID") MiB, RSS now $(rss_mib "$F_PID") MiB"
    stop_node "$F_PID"
    # Removed after (b), if (b) runs now: see part_b on creating files just after deleting as many.
    [[ "$ONLY" == *b* ]] && [ "$n" = "$PROV_FILES" ] || remove_tree "$F_DIR"
  fi
  [[ "$ONLY" == *b* ]] && [ "$n" = "$PROV_FILES" ] && part_b "$n"
  if [[ "$ONLY" == *[ac]* ]] && [[ "$ONLY" == *b* ]] && [ "$n" = "$PROV_FILES" ]; then remove_tree "$F_DIR"; fi
  D_HWM[$n]=$(hwm_mib "$P_PID")
  log "[$n] primary's peak RSS (VmHWM) since its last start (through (c), (a), (b) and its start-up scan) ${D_HWM[$n]} MiB, RSS now $(rss_mib "$P_PID") MiB"
  stop_node "$P_PID"
  remove_tree "$P_DIR"; rm -rf "$BENCH_TMP/s$n"
}

log "sizes: $SIZES; provisioning: $PROV_FILES; REPS=$REPS; ONLY=$ONLY; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
df -h "$BENCH_TMP" >&2
for n in $SIZES; do
  if [[ "$ONLY" == *[acd]* ]] || [ "$n" = "$PROV_FILES" ]; then run_size "$n"; fi
done
if [[ "$ONLY" == *b* ]] && ! [[ " $SIZES " == *" $PROV_FILES "* ]]; then
  check_disk "$PROV_FILES" 2
  build_primary "$PROV_FILES"
  part_b "$PROV_FILES"
  stop_node "$P_PID"; remove_tree "$P_DIR"; rm -rf "$BENCH_TMP/s$PROV_FILES"
fi

# ---- tables ----
first="${SIZES%% *}"; last="${SIZES##* }"
row() { printf "  %-9s $1\n" "${@:2}"; }
echo
echo "scale.sh on $(nproc) cores, 4 KiB files, REPS=$REPS; times in seconds, medians of the repetitions (samples in brackets)"
echo "  nodes: ${NODE[*]} node --data DIR (--primary | --upstream PRIMARY) --listen URL; polls every 10 ms (1 % of the wait, at most 0.5 s)"

if [[ "$ONLY" == *a* ]]; then
  echo
  echo "(a) catch-up: follower stopped (SIGTERM), 10 changes on the primary (5 new, 3 replaced, 2 deleted), follower started again"
  echo "  follower: process start -> /v1/status version = primary's; 'Connected to upstream' -> last 'Applied' (its log); /healthz 200; VmRSS ${SETTLE}s after caught up"
  echo "  rsync: rsync -a --delete --exclude .mfleet PRIMARY/ MIRROR/ of the same change (warm cache)"
  row "%14s %14s %10s %10s %9s %15s %15s" files start-caught answer-applied /healthz "RSS MiB" "rsync" "rsync/caught" "rsync/applied"
  for n in $SIZES; do
    row "%14s %14s %10s %10s %9s %15s %15s" "$n" "${A_CAUGHT[$n]}" "${A_APPLIED[$n]}" "${A_HEALTH[$n]}" "${A_RSS[$n]}" "${A_RSYNC[$n]}" \
      "$(ratio "${A_RSYNC[$n]}" "${A_CAUGHT[$n]}")" "$(ratio "${A_RSYNC[$n]}" "${A_APPLIED[$n]}")"
  done
  for n in $SIZES; do echo "  $n: ${A_SAMPLES[$n]}"; done
  for n in $SIZES; do
    r=$(ratio "${A_RSYNC[$n]}" "${A_CAUGHT[$n]}")
    result "catch-up $n files, 10 changes (s)" "${A_CAUGHT[$n]}" "${A_RSYNC[$n]}" "$r" ">= 50x" "$(met "$r" ">=" 50)" "s from process start (ratio = rsync/node)"
  done
  g=$(ratio "${A_APPLIED[$last]}" "${A_APPLIED[$first]}")
  result "  applied at $last vs $first (s)" "${A_APPLIED[$last]}" "${A_APPLIED[$first]}" "$g" "<= 2x" "$(met "$g" "<=" 2)" "s first answer -> applied (ratio = $last/$first)"
fi

if [[ "$ONLY" == *b* ]]; then
  echo
  echo "(b) provisioning: an empty follower from the primary, process start -> version = primary's (and 'Provisioning from' -> 'Provisioned')"
  echo "  rsync: rsync -a --exclude .mfleet PRIMARY/ EMPTY/ (warm cache), just before"
  echo "  CPU ms/file: the follower's and the primary's CPU time (node), rsync's and its children's (rsync), per file"
  row "%12s %10s %12s %10s %12s %8s %5s %14s %14s" files node "node f/s" provisioning "rsync" "rsync f/s" ratio met "node CPU ms/f" "rsync CPU ms/f"
  for r in "${B_ROWS[@]}"; do
    read -r n total span rs ncpu rcpu <<<"$r"
    nf=$(per_s "$n" "$total"); rf=$(per_s "$n" "$rs"); q=$(ratio "$nf" "$rf")
    row "%12s %10s %12s %10s %12s %8s %5s %14s %14s" "$n" "$total" "$nf" "$span" "$rs" "$rf" "$q" "$(met "$q" ">=" 0.5)" \
      "$(ms_per "$ncpu" "$n")" "$(ms_per "$rcpu" "$n")"
  done
  for r in "${B_ROWS[@]}"; do
    read -r n total span rs _ _ <<<"$r"
    nf=$(per_s "$n" "$total"); rf=$(per_s "$n" "$rs"); q=$(ratio "$nf" "$rf")
    result "provision $n files (files/s)" "$nf" "$rf" "$q" ">= 0.5x" "$(met "$q" ">=" 0.5)" "files/s from process start (baseline rsync -a)"
  done
fi

if [[ "$ONLY" == *[ac]* ]]; then
  echo
  echo "(c) adoption: a follower on a folder rsync -a filled (no .mfleet), started against the primary: hashes and keeps every file"
  echo "  node: process start -> version = primary's (and 'Provisioning from' -> 'Provisioned'); rsync: that copy, rsync -a --exclude .mfleet PRIMARY/ EMPTY/"
  echo "  CPU ms/file: the follower's CPU time from its start, start-up included (node), rsync's and its children's (rsync), per file"
  row "%10s %10s %12s %10s %12s %9s %9s %12s %5s %14s %14s" files node "node f/s" provisioning /healthz rsync "rsync f/s" "kept" "rsync/node" met \
    "node CPU ms/f" "rsync CPU ms/f"
  for n in $SIZES; do
    q=$(ratio "${C_RSYNC[$n]}" "${C_TOTAL[$n]}")
    row "%10s %10s %12s %10s %12s %9s %9s %12s %5s %14s %14s" "$n" "${C_TOTAL[$n]}" "$(per_s "$n" "${C_TOTAL[$n]}")" "${C_SPAN[$n]}" "${C_HEALTH[$n]}" \
      "${C_RSYNC[$n]}" "$(per_s "$n" "${C_RSYNC[$n]}")" "${C_KEPT[$n]}" "$q" "$(met "$q" ">=" 1)" "$(ms_per "${C_CPU[$n]}" "$n")" "$(ms_per "${C_RSYNC_CPU[$n]}" "$n")"
  done
  for n in $SIZES; do
    q=$(ratio "${C_RSYNC[$n]}" "${C_TOTAL[$n]}")
    result "adopt rsync copy, $n files (s)" "${C_TOTAL[$n]}" "${C_RSYNC[$n]}" "$q" ">= 1x" "$(met "$q" ">=" 1)" "s from process start (ratio = rsync/node)"
  done
fi
echo
echo "(c) mfleet adopt --node PRIMARY on a primary whose folder holds the files and no catalog entries (CLI start to exit)"
echo "  CPU ms/file: the CLI's and the primary's CPU time per file"
row "%10s %12s %14s" files seconds "files/s" "CPU ms/file"
for n in "${!ADOPT_S[@]}"; do echo "$n"; done | sort -n | while read -r n; do
  row "%10s %12s %14s" "$n" "${ADOPT_S[$n]}" "${ADOPT_RATE[$n]}" "$(ms_per "${ADOPT_CPU[$n]}" "$n")"
done

if [[ "$ONLY" == *d* ]]; then
  echo
  echo "(d) node start-up: the primary restarted on its library (catalog of N files), process start -> /healthz 200; VmRSS then and ${SETTLE}s later;"
  echo "  its VmHWM (peak) at the end of the size, after serving the other parts and its start-up scan (10 s after start); RSS in MiB"
  row "%10s %16s %10s %12s  %s" files /healthz "RSS at /healthz" "RSS +${SETTLE}s" "peak later" "[/healthz samples]"
  for n in $SIZES; do row "%10s %16s %10s %12s  [%s]" "$n" "${D_HEALTH[$n]}" "${D_RSS0[$n]}" "${D_RSS1[$n]}" "${D_HWM[$n]}" "${D_SAMPLES[$n]}"; done
  for n in $SIZES; do result "start-up $n files (s to /healthz)" "${D_HEALTH[$n]}" "" "" "" "" "s; RSS ${D_RSS1[$n]} MiB"; done
fi

if [ ${#PROBLEMS[@]} -gt 0 ]; then
  echo
  echo "problems:"; printf '  %s\n' "${PROBLEMS[@]}"
  exit 1
fi
