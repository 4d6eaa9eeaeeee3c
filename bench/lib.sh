# Shared helpers of the hand-run benchmarks; sourced by the bench/*.sh scripts, never run alone.
# Each script owns one temp folder under /tmp and every process it starts, and ends them by PID on exit.

BENCH_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_HOME/.." && pwd)"
MFLEET="$REPO/mfleet"
REPS="${REPS:-3}"
export MFLEET_TOKEN="${MFLEET_TOKEN:-bench-token-$RANDOM$RANDOM}"
# The 1 GiB disk reserve would refuse benchmark writes on a small disk; benchmarks measure speed, not policy.
export MFLEET_Node__ReserveBytes=0
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

BENCH_PIDS=()
BENCH_TMP=""

# Creates the temp folder and installs the clean-up trap. Call once, first.
bench_init() {
  BENCH_TMP="$(mktemp -d "${BENCH_DIR:-/tmp}/mfleet-bench-${1:-run}.XXXXXX")"
  # nginx workers may run as another user: they must be able to walk into the library.
  chmod 755 "$BENCH_TMP"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  # nap's clock: a read that waits for input that never comes (the shell itself holds the pipe's other end).
  exec {NAP_FD}<> <(:)
}

# The polls that time a start-up run without starting a process: a curl, a sleep and a $(...) per poll cost 5-140 ms
# of the two cores the starting node needs (with that day's start-up changes, a follower's time from its Applied line
# to the poll that saw it went from 70 ms to 20-30 ms).
# nap SECONDS: sleeps without a process.
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }

# http_get PORT PATH -> HTTP_STATUS, HTTP_BODY of GET http://127.0.0.1:PORT/PATH (the token sent); status 1 when nothing
# answers. HTTP/1.0: the answer ends with the connection, so it is read to its end with bash's own /dev/tcp and read.
http_get() {
  local fd answer
  HTTP_STATUS=""; HTTP_BODY=""
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n' "$2" "$MFLEET_TOKEN" >&"$fd"
  IFS= read -r -d '' -t 30 -u "$fd" answer
  exec {fd}<&-
  [[ "$answer" =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] || return 1
  HTTP_STATUS="${BASH_REMATCH[1]}"
  HTTP_BODY="${answer#*$'\r\n\r\n'}"
}

bench_cleanup() {
  local status=$?
  local i pid
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    pid="${BENCH_PIDS[i]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
  exit "$status"
}

# Stops one process this script started (by PID) and forgets it.
bench_stop() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!BENCH_PIDS[@]}"; do [ "${BENCH_PIDS[i]}" = "$pid" ] && unset 'BENCH_PIDS[i]'; done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A loopback TCP port nobody listens on.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    [ -z "$(ss -Htln "sport = :$port")" ] && { echo "$port"; return; }
  done
}

# Waits until URL answers 2xx (up to 60 s).
wait_http() {
  local url="$1"
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# Builds the launcher's Release output once, so no build lands inside a measurement.
build_mfleet() { "$MFLEET" --help >/dev/null; }

# built_mfleet -> sets BUILT to the built program, started without the launcher (whose staleness check would land
# inside start-up times): the native executable, or dotnet mfleet.dll where the launcher built ReadyToRun (no clang).
built_mfleet() {
  if [ -f "$REPO/.build/mfleet/mfleet.dll" ]; then
    BUILT=(dotnet "$REPO/.build/mfleet/mfleet.dll")
  else
    BUILT=("$REPO/.build/mfleet/mfleet")
  fi
  [ -f "${BUILT[-1]}" ] || { echo "no build at ${BUILT[-1]}" >&2; exit 1; }
}

# start_node DATA PORT -> sets NODE_PID and NODE_URL.
start_node() {
  local data="$1" port="$2"
  mkdir -p "$data"
  "$MFLEET" node --data "$data" --primary --listen "http://127.0.0.1:$port" >"$BENCH_TMP/node-$port.log" 2>&1 &
  NODE_PID=$!
  BENCH_PIDS+=("$NODE_PID")
  NODE_URL="http://127.0.0.1:$port"
  wait_http "$NODE_URL/healthz"
}

# start_nginx LIBRARY PORT -> sets NGINX_PID and NGINX_URL. Serves LIBRARY under /files/ like the node.
start_nginx() {
  local library="$1" port="$2" dir="$BENCH_TMP/nginx-$2" user=""
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port;
    location /files/ { alias $library/; }
  }
}
CONF
  /usr/sbin/nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  NGINX_URL="http://127.0.0.1:$port"
}

# Writes SIZE bytes of random data to FILE (openssl is much faster than /dev/urandom here).
random_file() {
  local file="$1" size="$2"
  mkdir -p "$(dirname "$file")"
  openssl rand -out "$file" "$size"
}

# Repr-Digest header value of FILE.
repr_digest() { echo "sha-256=:$(openssl dgst -sha256 -binary "$1" | base64 -w0):"; }

# Median of the numbers on stdin.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

# ratio A B -> A/B with 2 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.2f\n", a / b }'; }

# met VALUE OP LIMIT -> yes/no; OP is >=, <= or <.
met() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { r = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v < l; print r ? "yes" : "NO" }'; }

# human BYTES -> "1 GiB", "512 MiB".
human() { awk -v b="$1" 'BEGIN { if (b >= 1073741824 && b % 1073741824 == 0) printf "%d GiB\n", b / 1073741824; else printf "%d MiB\n", b / 1048576 }'; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
mib_per_s() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.1f\n", bytes / 1048576 / s }'; }

# Summary rows go to stdout as "RESULT|name|node|baseline|ratio|target|met|unit" for run-all.sh to collect.
result() { echo "RESULT|$1|$2|$3|$4|$5|$6|$7"; }
