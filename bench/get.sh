#!/usr/bin/env bash
# GET throughput of the node against nginx serving the same library folder, in the same run:
#   1. one 1 GiB file, one stream (curl), MiB/s
#   2. the same file at 32 connections (wrk), MiB/s
#   3. 1000 different 4 KiB files at 32 connections (wrk + files.lua), requests/s
# Every comparison runs back to back (node, then nginx), REPS times; the summary shows medians.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIG_SIZE="${BIG_SIZE:-1073741824}"
SMALL_COUNT="${SMALL_COUNT:-1000}"
SMALL_SIZE=4096
CONNS="${CONNS:-32}"
DURATION="${DURATION:-10s}"
CURL_RUNS="${CURL_RUNS:-3}"   # single-stream GETs per server per repetition (alternating); the median takes them all
ONLY="${ONLY:-large,small}"   # which parts to measure: "small" alone iterates on the 4 KiB case without the 1 GiB runs

bench_init get
lib="$BENCH_TMP/library"

log "writing a $BIG_SIZE-byte file and $SMALL_COUNT files of $SMALL_SIZE bytes into $lib"
random_file "$lib/bench/big.bin" "$BIG_SIZE"
random_file "$BENCH_TMP/small.bin" $((SMALL_COUNT * SMALL_SIZE))
mkdir -p "$lib/bench/small"
split -b "$SMALL_SIZE" -a 5 -d --additional-suffix=.bin "$BENCH_TMP/small.bin" "$lib/bench/small/"
rm "$BENCH_TMP/small.bin"

build_mfleet
start_node "$lib" "$(free_port)"
log "node $NODE_URL (pid $NODE_PID): adopting the files"
"$MFLEET" adopt --node "$NODE_URL" >/dev/null
start_nginx "$lib" "$(free_port)"
wait_http "$NGINX_URL/files/bench/small/00000.bin"
log "nginx $NGINX_URL (pid $NGINX_PID)"

# Both servers must answer the same bytes, or the comparison means nothing.
for url in "$NODE_URL" "$NGINX_URL"; do
  got="$(curl -sf "$url/files/bench/small/00042.bin" | sha256sum | cut -d' ' -f1)"
  [ "$got" = "$(sha256sum <"$lib/bench/small/00042.bin" | cut -d' ' -f1)" ] || { echo "$url serves wrong bytes" >&2; exit 1; }
  [ "$(curl -sfI "$url/files/bench/big.bin" | tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }')" = "$BIG_SIZE" ] \
    || { echo "$url: wrong Content-Length for big.bin" >&2; exit 1; }
done
# Serve from the page cache in both cases: this measures the servers, not the disk.
cat "$lib/bench/big.bin" "$lib"/bench/small/*.bin >/dev/null

# CPU seconds (user+system) of a process and its live children (nginx workers).
cpu_seconds() {
  local ticks=0 pid
  for pid in "$1" $(ps -o pid= --ppid "$1"); do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t / hz }'
}

field() { sed -n 's/.*\b'"$1"'=\([0-9]*\).*/\1/p'; }

# run_wrk NAME PID URL SCRIPT -> prints the metric (MiB/s for bytes.lua, req/s for files.lua).
run_wrk() {
  local name="$1" pid="$2" url="$3" script="$4" out before after line errors
  local cmd=(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 120s -s "$BENCH_HOME/$script" "$url")
  before="$(cpu_seconds "$pid")"
  out="$(BENCH_PREFIX=/files/bench/small/ BENCH_COUNT="$SMALL_COUNT" "${cmd[@]}")"
  after="$(cpu_seconds "$pid")"
  line="$(grep '^BENCH' <<<"$out")"
  errors=$(($(field connect <<<"$line") + $(field read <<<"$line") + $(field write <<<"$line") + $(field status <<<"$line")))
  [ "$errors" -eq 0 ] || log "WARNING $name: wrk errors: $line"
  local us bytes reqs
  us="$(field duration_us <<<"$line")"; bytes="$(field bytes <<<"$line")"; reqs="$(field requests <<<"$line")"
  if [ "$script" = bytes.lua ]; then
    value="$(awk -v b="$bytes" -v us="$us" 'BEGIN { printf "%.1f\n", b / 1048576 / (us / 1e6) }')"
  else
    value="$(awk -v r="$reqs" -v us="$us" 'BEGIN { printf "%.0f\n", r / (us / 1e6) }')"
  fi
  log "$name: $value  (server CPU $(awk -v a="$before" -v b="$after" -v us="$us" 'BEGIN { printf "%.0f%%", (b - a) * 100 / (us / 1e6) }') of one core; $(sed 's/^BENCH //' <<<"$line"))"
  log "  command: BENCH_PREFIX=/files/bench/small/ BENCH_COUNT=$SMALL_COUNT ${cmd[*]}"
  echo "$value"
}

run_curl() {
  local name="$1" url="$2" speed
  speed="$(curl -sf -o /dev/null -w '%{speed_download}' "$url")"
  value="$(awk -v s="$speed" 'BEGIN { printf "%.1f\n", s / 1048576 }')"
  log "$name: $value MiB/s  (command: curl -sf -o /dev/null -w '%{speed_download}' $url)"
  echo "$value"
}

# Warm-up, not measured: the node's JIT tiers up and both servers open their file caches.
log "warm-up: 3 s of 4 KiB requests and one large GET against each server"
for url in "$NODE_URL" "$NGINX_URL"; do
  BENCH_PREFIX=/files/bench/small/ BENCH_COUNT="$SMALL_COUNT" wrk -t2 -c"$CONNS" -d3s -s "$BENCH_HOME/files.lua" "$url" >/dev/null
  curl -sf -o /dev/null "$url/files/bench/big.bin"
done

big="$(human "$BIG_SIZE")"
declare -A samples
for rep in $(seq "$REPS"); do
  log "repetition $rep of $REPS"
  if [[ ",$ONLY," == *,large,* ]]; then
    for _ in $(seq "$CURL_RUNS"); do
      samples[curl_node]+="$(run_curl "curl $big node " "$NODE_URL/files/bench/big.bin") "
      samples[curl_nginx]+="$(run_curl "curl $big nginx" "$NGINX_URL/files/bench/big.bin") "
    done
    samples[big_node]+="$(run_wrk "wrk $big x$CONNS node  MiB/s" "$NODE_PID" "$NODE_URL/files/bench/big.bin" bytes.lua) "
    samples[big_nginx]+="$(run_wrk "wrk $big x$CONNS nginx MiB/s" "$NGINX_PID" "$NGINX_URL/files/bench/big.bin" bytes.lua) "
  fi
  if [[ ",$ONLY," == *,small,* ]]; then
    samples[small_node]+="$(run_wrk "wrk 4 KiB x$CONNS node  req/s" "$NODE_PID" "$NODE_URL" files.lua) "
    samples[small_nginx]+="$(run_wrk "wrk 4 KiB x$CONNS nginx req/s" "$NGINX_PID" "$NGINX_URL" files.lua) "
  fi
done

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
echo
echo "get.sh: medians of $REPS repetitions (curl: of $REPS x $CURL_RUNS runs; samples in order: node | nginx)"
row() {
  local name="$1" key="$2" target="$3" unit="$4" node nginx r
  node="$(med "${key}_node")"; nginx="$(med "${key}_nginx")"; r="$(ratio "$node" "$nginx")"
  printf '  %-28s node %10s  nginx %10s  ratio %5s  target >= %s  [%s | %s]\n' "$name ($unit)" "$node" "$nginx" "$r" "$target" "${samples[${key}_node]% }" "${samples[${key}_nginx]% }"
  result "$name" "$node" "$nginx" "$r" ">= $target" "$(met "$r" '>=' "$target")" "$unit"
}
if [[ ",$ONLY," == *,large,* ]]; then
  row "GET $big, 1 stream (curl)" curl 0.9 MiB/s
  row "GET $big, $CONNS conns (wrk)" big 0.9 MiB/s
fi
if [[ ",$ONLY," == *,small,* ]]; then
  row "GET 4 KiB, $CONNS conns (wrk)" small 0.8 req/s
fi
