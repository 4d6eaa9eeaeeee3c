#!/usr/bin/env bash
# Replication benchmarks (issue 4), run by hand:
#  (a) catch-up: a 20,000-file library, follower down, 10 changes, follower restarted; time from the follower
#      serving to the changes applied (its own log lines), against `rsync -a --delete` of the same two trees.
#  (b) provisioning: an empty follower provisions 1 GiB (4 files of 256 MiB); MB/s against one curl
#      downloading the same four files from nginx serving the primary's folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init replication
build_mfleet

FILES="${FILES:-20000}"
LARGE="${LARGE:-$((256 << 20))}"

# start_follower DATA PORT UPSTREAM -> FOLLOWER_PID, FOLLOWER_URL, FOLLOWER_LOG
start_follower() {
  mkdir -p "$1"
  FOLLOWER_LOG="$BENCH_TMP/follower-$2-$(date +%s%N).log"
  "$MFLEET" node --data "$1" --upstream "$3" --listen "http://127.0.0.1:$2" >"$FOLLOWER_LOG" 2>&1 &
  FOLLOWER_PID=$!
  BENCH_PIDS+=("$FOLLOWER_PID")
  FOLLOWER_URL="http://127.0.0.1:$2"
}

version_of() { curl -sf "$1/v1/status" | grep -o '"version":[0-9]*' | head -n1 | cut -d: -f2; }

# Waits until the follower's version equals the primary's.
wait_version() {
  local want; want="$(version_of "$1")"
  for _ in $(seq 12000); do
    [ "$(version_of "$2" 2>/dev/null || echo -1)" = "$want" ] && return 0
    sleep 0.05
  done
  echo "follower never reached version $want" >&2; return 1
}

# Seconds between two log lines' HH:mm:ss.fff stamps: the first matching $2 and the last matching $3.
log_span() {
  local a b
  a="$(grep -m1 "$2" "$1" | awk '{print $1}')"
  b="$(grep "$3" "$1" | tail -n1 | awk '{print $1}')"
  awk -v a="$a" -v b="$b" 'function s(t, p) { split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] } BEGIN { printf "%.3f\n", s(b) - s(a) }'
}

put() { curl -sf -o /dev/null -T "$2" -H "Authorization: Bearer $MFLEET_TOKEN" "$1/files/$3"; }
del() { curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $MFLEET_TOKEN" "$1/files/$2"; }

ONLY="${ONLY:-ab}"   # ONLY=a or ONLY=b runs one of the two

# ---- (a) catch-up ----
if [[ "$ONLY" == *a* ]]; then
log "(a) making a $FILES-file library of 4 KiB files"
lib="$BENCH_TMP/primary"
dirs=$(( (FILES + 999) / 1000 ))
for d in $(seq 0 $((dirs - 1))); do
  mkdir -p "$lib/d$d"
  openssl rand $((4096 * 1000)) | split -b 4096 -a 4 - "$lib/d$d/f"
done
primary_port="$(free_port)"
start_node "$lib" "$primary_port"
primary="$NODE_URL"
"$MFLEET" adopt --node "$primary" >/dev/null
log "(a) primary at version $(version_of "$primary"); provisioning the follower"
follower_dir="$BENCH_TMP/follower"
follower_port="$(free_port)"
start_follower "$follower_dir" "$follower_port" "$primary"
wait_version "$primary" "$FOLLOWER_URL"
mirror="$BENCH_TMP/rsync-mirror"
rsync -a --delete --exclude .mfleet "$lib/" "$mirror/"

LETTERS=(a b c d e f g h i j k l m n o p q r s t u v w x y z)
catchups=(); works=(); rsyncs=()
for rep in $(seq "$REPS"); do
  bench_stop "$FOLLOWER_PID"
  for i in $(seq 5); do random_file "$BENCH_TMP/new-$rep-$i" 4096; put "$primary" "$BENCH_TMP/new-$rep-$i" "new/r$rep-$i.bin"; done
  letter="${LETTERS[rep]}"   # split names the files faaaa, faaab, ...: replace and delete existing ones
  for i in $(seq 3); do random_file "$BENCH_TMP/rep-$rep-$i" 4096; put "$primary" "$BENCH_TMP/rep-$rep-$i" "d$i/faaa$letter"; done
  del "$primary" "d4/faab$letter"; del "$primary" "d5/faab$letter"
  start=$(now); rsync -a --delete --exclude .mfleet "$lib/" "$mirror/"; rs=$(elapsed "$start" "$(now)")
  start_follower "$follower_dir" "$follower_port" "$primary"
  wait_version "$primary" "$FOLLOWER_URL"
  cu=$(log_span "$FOLLOWER_LOG" "serving" "Applied")
  work=$(log_span "$FOLLOWER_LOG" "Connected to upstream" "Applied")
  log "(a) rep $rep: follower catch-up ${cu}s from start (${work}s from its first answer from upstream to the changes applied), rsync -a --delete ${rs}s"
  echo "command: $MFLEET node --data $follower_dir --upstream $primary (log: serving -> Applied); rsync -a --delete --exclude .mfleet $lib/ $mirror/"
  catchups+=("$cu"); works+=("$work"); rsyncs+=("$rs")
done
cu=$(printf '%s\n' "${catchups[@]}" | median); rs=$(printf '%s\n' "${rsyncs[@]}" | median); wk=$(printf '%s\n' "${works[@]}" | median)
speedup=$(ratio "$rs" "$cu"); workup=$(ratio "$rs" "$wk")
result "catch-up $FILES files, 10 changes (s)" "$cu" "$rs" "$speedup" ">= 50x" "$(met "$speedup" ">=" 50)" "s, from process start (ratio = rsync/node)"
result "  same, without process start (s)" "$wk" "$rs" "$workup" ">= 50x" "$(met "$workup" ">=" 50)" "s, first upstream answer -> applied"
bench_stop "$FOLLOWER_PID"; bench_stop "$NODE_PID"
fi

# ---- (b) provisioning ----
[[ "$ONLY" == *b* ]] || exit 0
log "(b) a primary with 4 x $(human "$LARGE")"
big="$BENCH_TMP/big"
mkdir -p "$big/movies"
for i in 1 2 3 4; do random_file "$big/movies/m$i.bin" "$LARGE"; done
start_node "$big" "$(free_port)"
primary="$NODE_URL"
"$MFLEET" adopt --node "$primary" >/dev/null
start_nginx "$big" "$(free_port)"
wait_http "$NGINX_URL/files/movies/m1.bin"
total=$((LARGE * 4))
provs=(); curls=()
for rep in $(seq "$REPS"); do
  dl="$BENCH_TMP/curl-$rep"; mkdir -p "$dl"
  sync; start=$(now)
  curl -sf -o "$dl/1" "$NGINX_URL/files/movies/m1.bin" -o "$dl/2" "$NGINX_URL/files/movies/m2.bin" \
       -o "$dl/3" "$NGINX_URL/files/movies/m3.bin" -o "$dl/4" "$NGINX_URL/files/movies/m4.bin"
  c=$(mib_per_s "$total" "$(elapsed "$start" "$(now)")"); rm -rf "$dl"
  sync
  start_follower "$BENCH_TMP/fresh-$rep" "$(free_port)" "$primary"
  wait_version "$primary" "$FOLLOWER_URL"
  p=$(mib_per_s "$total" "$(log_span "$FOLLOWER_LOG" "Provisioning from" "Provisioned")")
  bench_stop "$FOLLOWER_PID"; rm -rf "$BENCH_TMP/fresh-$rep"
  log "(b) rep $rep: provisioning $p MiB/s, curl from nginx $c MiB/s"
  echo "command: $MFLEET node --data fresh --upstream $primary (log: Provisioning from -> Provisioned); curl -o x4 $NGINX_URL/files/movies/m{1..4}.bin"
  provs+=("$p"); curls+=("$c")
done
p=$(printf '%s\n' "${provs[@]}" | median); c=$(printf '%s\n' "${curls[@]}" | median)
r=$(ratio "$p" "$c")
result "provision 1 GiB (MiB/s)" "$p" "$c" "$r" ">= 0.7x" "$(met "$r" ">=" 0.7)" "MiB/s"
