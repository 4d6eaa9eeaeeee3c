#!/usr/bin/env bash
# Conversion benchmarks (issue 11), run by hand; one broker, workers started and stopped per part, all in one run:
#  (a) one conversion: wall time from the submit to the output fetched and digest-checked, through the broker and one
#      worker, against the same ffmpeg words run directly on the same clip (a CONV_SECONDS s CONV_SIZE testsrc2 + sine
#      clip to the profile `bench`, which has h264-mp4's arguments). Two clients: curl (POST, GET the job until it
#      succeeded, GET the output, sha256 compared with the job's and with Repr-Digest) and the mfleet CLI
#      (`convert submit`, the job polled with curl, `convert fetch`, which checks the digest itself). Target <= 1.05x.
#  (b) throughput: SHORT_JOBS clips of SHORT_SECONDS s to the single-threaded profile `bench1t` (`-threads 1`), with one
#      worker and with two (one slot each); jobs/minute from the first submit to the last job's finished_at. Target
#      two >= 1.7x one.
#  (c) queue overhead: TINY_JOBS different 1 s WAV files (pink noise) to `flac` through one worker with TINY_SLOTS slots,
#      submitted by one `mfleet convert submit` of all of them; jobs/s from the CLI's start to the last finished_at.
#      Target >= 20 jobs/s.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONV_SIZE="${CONV_SIZE:-1280x720}"
CONV_SECONDS="${CONV_SECONDS:-60}"
SHORT_JOBS="${SHORT_JOBS:-20}"
SHORT_SECONDS="${SHORT_SECONDS:-5}"
SHORT_SIZE="${SHORT_SIZE:-1280x720}"
TINY_JOBS="${TINY_JOBS:-200}"
TINY_SLOTS="${TINY_SLOTS:-2}"
ONLY="${ONLY:-abc}"   # ONLY=a, b, c or any combination runs those parts

# h264-mp4's arguments (src/MediaFleet.Conversion/Profiles/DefaultProfiles.cs), given to the broker as the profile
# `bench` so that the broker's worker and the direct ffmpeg run the very same words.
PROFILE_ARGS="-map 0:v:0 -map 0:a:0? -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 160k -movflags +faststart"
# The same with one encoder thread, so that two jobs fit on two cores (the input's decoder keeps ffmpeg's default;
# part (b) logs how many cores one such job used).
PROFILE_1T_ARGS="-map 0:v:0 -map 0:a:0? -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -threads 1 -c:a aac -b:a 160k -movflags +faststart"

export MFLEET_Broker__ReserveBytes=0 MFLEET_Worker__MarginBytes=0
export MFLEET_Broker__Profiles__bench__media=video MFLEET_Broker__Profiles__bench__extension=mp4
export MFLEET_Broker__Profiles__bench__args="$PROFILE_ARGS"
export MFLEET_Broker__Profiles__bench1t__media=video MFLEET_Broker__Profiles__bench1t__extension=mp4
export MFLEET_Broker__Profiles__bench1t__args="$PROFILE_1T_ARGS"

bench_init conversion
build_mfleet
command -v jq >/dev/null || { echo "conversion.sh needs jq" >&2; exit 1; }
AUTH=(-H "Authorization: Bearer $MFLEET_TOKEN")

# ---- inputs (untimed) ----
clips="$BENCH_TMP/clips"
mkdir -p "$clips/short" "$clips/tiny"
if [[ "$ONLY" == *a* ]]; then
  log "making the (a) clip: $CONV_SECONDS s of testsrc2 $CONV_SIZE 30 fps + a 440 Hz sine (x264 ultrafast, FLAC, Matroska)"
  ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc2=size=$CONV_SIZE:rate=30:duration=$CONV_SECONDS" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$CONV_SECONDS" \
    -c:v libx264 -preset ultrafast -crf 18 -c:a flac "$clips/one.mkv"
fi
if [[ "$ONLY" == *b* ]]; then
  log "making $SHORT_JOBS (b) clips of $SHORT_SECONDS s (testsrc2 $SHORT_SIZE, each a different stretch, so no two share a digest)"
  ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc2=size=$SHORT_SIZE:rate=30:duration=$((SHORT_JOBS * SHORT_SECONDS))" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$((SHORT_JOBS * SHORT_SECONDS))" \
    -c:v libx264 -preset ultrafast -crf 18 -g $((SHORT_SECONDS * 30)) -keyint_min $((SHORT_SECONDS * 30)) -sc_threshold 0 -c:a flac \
    -f segment -segment_time "$SHORT_SECONDS" -reset_timestamps 1 "$clips/short/short-%03d.mkv"
fi
if [[ "$ONLY" == *c* ]]; then
  log "making $TINY_JOBS (c) inputs: 1 s of pink noise each (WAV, 48 kHz mono), all different"
  ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "anoisesrc=color=pink:sample_rate=48000:amplitude=0.2:duration=$TINY_JOBS" \
    -c:a pcm_s16le -f segment -segment_time 1 -reset_timestamps 1 "$clips/tiny/tiny-%03d.wav"
fi
cat "$clips"/*.mkv "$clips"/short/* "$clips"/tiny/* >/dev/null 2>&1 || true

# ---- broker and workers ----
broker_port="$(free_port)"
BROKER="http://127.0.0.1:$broker_port"
export MFLEET_BROKER="$BROKER"
"$MFLEET" broker --data "$BENCH_TMP/broker" --listen "$BROKER" >"$BENCH_TMP/broker.log" 2>&1 &
BROKER_PID=$!
BENCH_PIDS+=("$BROKER_PID")
wait_http "$BROKER/healthz"
log "broker $BROKER (pid $BROKER_PID), data $BENCH_TMP/broker; profiles bench: $PROFILE_ARGS; bench1t: $PROFILE_1T_ARGS"

# start_worker NAME SLOTS -> WORKER_PID (its /healthz answers before this returns)
start_worker() {
  local name="$1" slots="$2" port
  port="$(free_port)"
  "$MFLEET" worker --broker "$BROKER" --scratch "$BENCH_TMP/scratch-$name" --listen "http://127.0.0.1:$port" --slots "$slots" --id "bench-$name" \
    >"$BENCH_TMP/worker-$name.log" 2>&1 &
  WORKER_PID=$!
  BENCH_PIDS+=("$WORKER_PID")
  wait_http "http://127.0.0.1:$port/healthz"
  log "worker bench-$name (pid $WORKER_PID, $slots slot(s)): $MFLEET worker --broker $BROKER --scratch $BENCH_TMP/scratch-$name --listen http://127.0.0.1:$port --slots $slots --id bench-$name"
}

job_json() { curl -sf "${AUTH[@]}" "$BROKER/v1/jobs/$1"; }

# submit_curl FILE PROFILE CLIENT -> the job id (POST /v1/jobs, the body streamed)
submit_curl() {
  curl -sf "${AUTH[@]}" -H "X-MFleet-Client: $3" -H "Content-Type: application/octet-stream" -X POST -T "$1" \
    "$BROKER/v1/jobs?profile=$2&name=$(basename "$1")" | jq -r .id
}

# wait_job ID: polls GET /v1/jobs/ID until it succeeded; every 0.5 s while its ETA is over 2 s, then every 0.05 s (a
# client that polls as fast throughout would take CPU from the encode it waits for).
wait_job() {
  local json state eta
  while true; do
    json="$(job_json "$1")"
    state="$(jq -r .state <<<"$json")"
    case "$state" in
      succeeded) return 0 ;;
      failed | cancelled) echo "job $1 $state: $(jq -r .error <<<"$json")" >&2; return 1 ;;
    esac
    eta="$(jq -r '.eta_seconds // 1000' <<<"$json")"
    if awk -v e="$eta" -v s="$state" 'BEGIN { exit !(s == "running" && e <= 2) }'; then sleep 0.05; else sleep 0.5; fi
  done
}

# wait_client CLIENT COUNT: until COUNT jobs of CLIENT succeeded (polling twice a second; the end time is the broker's
# own finished_at, so the poll's interval does not count). Fails when one of them failed.
wait_client() {
  local counts ok bad
  for _ in $(seq 2400); do
    counts="$(curl -sf "${AUTH[@]}" "$BROKER/v1/jobs?client=$1" | jq -r '[map(select(.state == "succeeded")) | length, map(select(.state == "failed" or .state == "cancelled")) | length] | @tsv')"
    read -r ok bad <<<"$counts"
    [ "$bad" -gt 0 ] && { echo "client $1: $bad job(s) failed" >&2; return 1; }
    [ "$ok" -ge "$2" ] && return 0
    sleep 0.5
  done
  echo "client $1: only $ok of $2 jobs succeeded after 20 minutes" >&2
  return 1
}

# proc_cpu PID -> "SELF CHILDREN": CPU seconds (user+sys) of the process and of its children it has reaped (ffmpeg,
# ffprobe), from /proc/PID/stat.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f\n", ($14 + $15) / hz, ($16 + $17) / hz }' "/proc/$1/stat"; }
cpu_delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }

# A job time (ISO 8601) as Unix seconds with fractions.
epoch() { date -d "$1" +%s.%N; }

# client_stats CLIENT -> "LAST_FINISHED MEDIAN_RUN MEDIAN_WAIT FIRST_STARTED" in seconds: the last finished_at, the
# medians of finished_at - started_at (lease to checked output) and started_at - created_at (time in the queue), and
# the first started_at.
client_stats() {
  local list last run wait first
  list="$(curl -sf "${AUTH[@]}" "$BROKER/v1/jobs?client=$1&state=succeeded")"
  last="$(jq -r '.[].finished_at' <<<"$list" | date -f - +%s.%N | sort -g | tail -n1)"
  run="$(jq -r '.[] | "\(.started_at) \(.finished_at)"' <<<"$list" | while read -r s f; do elapsed "$(epoch "$s")" "$(epoch "$f")"; done | median)"
  wait="$(jq -r '.[] | "\(.created_at) \(.started_at)"' <<<"$list" | while read -r c s; do elapsed "$(epoch "$c")" "$(epoch "$s")"; done | median)"
  first="$(jq -r '.[].started_at' <<<"$list" | date -f - +%s.%N | sort -g | head -n1)"
  echo "$last $run $wait $first"
}

# raw_ffmpeg IN OUT ARGS... -> sets RAW_WALL and RAW_CPU (user+sys seconds): the worker's own words
# (FfmpegConversion.Arguments), progress to /dev/null.
raw_ffmpeg() {
  local in="$1" out="$2" timing="$BENCH_TMP/time.txt"
  shift 2
  local TIMEFORMAT='%R %U %S'
  { time ffmpeg -nostdin -hide_banner -nostats -loglevel warning -progress pipe:1 -y -i "file:$in" "$@" "file:$out" \
      >/dev/null 2>"$BENCH_TMP/ffmpeg-raw.err"; } 2>"$timing"
  read -r RAW_WALL u s <"$timing"
  RAW_CPU="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f\n", u + s }')"
}

# Untimed: one tiny job through the running worker(s), so JIT, SQLite and connections are warm.
warm_up() {
  local id
  id="$(submit_curl "$WARM" flac "bench-warmup-$1")"
  wait_job "$id"
}
WARM="$BENCH_TMP/warm.wav"
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=1" -c:a pcm_s16le "$WARM"

declare -A samples
add() { samples[$1]+="$2 "; }
med() { tr ' ' '\n' <<<"${samples[$1]:-}" | grep . | median; }
load1() { cut -d' ' -f1 /proc/loadavg; }
log "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- (a) one conversion ----
if [[ "$ONLY" == *a* ]]; then
  start_worker a 1
  A_PID="$WORKER_PID"
  warm_up a
  read -ra args <<<"$PROFILE_ARGS"
  out="$BENCH_TMP/out-a"
  mkdir -p "$out"
  clip="$clips/one.mkv"
  log "(a) clip $clip: $(stat -c %s "$clip") bytes, $CONV_SECONDS s $CONV_SIZE"
  for rep in $(seq "$REPS"); do
    log "(a) repetition $rep, load $(load1)"
    sync
    raw_ffmpeg "$clip" "$out/raw-$rep.mp4" "${args[@]}"
    log "(a) ffmpeg direct: $RAW_WALL s wall, $RAW_CPU s CPU  command: ffmpeg -nostdin -hide_banner -nostats -loglevel warning -progress pipe:1 -y -i file:$clip $PROFILE_ARGS file:$out/raw-$rep.mp4 >/dev/null"
    add raw "$RAW_WALL"

    # curl client: POST, poll, GET the output, check its digest against the job's and the Repr-Digest header.
    sync
    client="bench-a-curl-$rep"
    read -r bs0 bc0 <<<"$(proc_cpu "$BROKER_PID")"; read -r ws0 wc0 <<<"$(proc_cpu "$A_PID")"
    t0="$(now)"
    id="$(submit_curl "$clip" bench "$client")"
    t1="$(now)"
    wait_job "$id"
    curl -sf "${AUTH[@]}" -D "$out/headers-$rep" -o "$out/curl-$rep.mp4" "$BROKER/v1/jobs/$id/output"
    want="$(job_json "$id" | jq -r .output.sha256)"
    got="$(sha256sum "$out/curl-$rep.mp4" | cut -d' ' -f1)"
    header="$(grep -i '^repr-digest:' "$out/headers-$rep" | tr -d '\r' | sed 's/^[^:]*: *sha-256=:\(.*\):$/\1/' | base64 -d | od -An -tx1 | tr -d ' \n')"
    t2="$(now)"
    [ "$got" = "$want" ] && [ "$got" = "$header" ] || { echo "(a) output of $id: sha256 $got, job says $want, Repr-Digest $header" >&2; exit 1; }
    wall="$(elapsed "$t0" "$t2")"
    read -r bs1 bc1 <<<"$(proc_cpu "$BROKER_PID")"; read -r ws1 wc1 <<<"$(proc_cpu "$A_PID")"
    log "(a) CPU seconds during it: broker $(cpu_delta "$bs0" "$bs1") (its ffprobes $(cpu_delta "$bc0" "$bc1")), worker $(cpu_delta "$ws0" "$ws1") (its ffmpeg $(cpu_delta "$wc0" "$wc1")); ffmpeg direct took $RAW_CPU"
    job="$(job_json "$id")"
    c="$(epoch "$(jq -r .created_at <<<"$job")")"; s="$(epoch "$(jq -r .started_at <<<"$job")")"; f="$(epoch "$(jq -r .finished_at <<<"$job")")"
    log "(a) mfleet via curl: $wall s (POST $(elapsed "$t0" "$t1") s; created->leased $(elapsed "$c" "$s") s; leased->succeeded $(elapsed "$s" "$f") s; succeeded->fetched+checked $(elapsed "$f" "$t2") s)  commands: curl -sf -H 'Authorization: Bearer ...' -H 'X-MFleet-Client: $client' -X POST -T $clip '$BROKER/v1/jobs?profile=bench&name=one.mkv'; curl GET $BROKER/v1/jobs/$id (every 0.5 s, 0.05 s once eta <= 2 s) until succeeded; curl -D headers -o $out/curl-$rep.mp4 $BROKER/v1/jobs/$id/output; sha256sum vs output.sha256 and Repr-Digest"
    add curl "$wall"

    # mfleet CLI client: its own store, so no earlier job of the same clip is found again.
    sync
    db="$BENCH_TMP/client-a-$rep.db"
    t0="$(now)"
    id="$(MFLEET_CLIENT_DB="$db" "$MFLEET" convert submit "$clip" --profile bench 2>/dev/null | tail -n1)"
    t1="$(now)"
    wait_job "$id"
    MFLEET_CLIENT_DB="$db" "$MFLEET" convert fetch "$id" --out "$out/cli-$rep" >/dev/null 2>&1
    t2="$(now)"
    [ "$(sha256sum "$out/cli-$rep"/* | cut -d' ' -f1)" = "$(job_json "$id" | jq -r .output.sha256)" ] || { echo "(a) CLI output of $id differs" >&2; exit 1; }
    wall="$(elapsed "$t0" "$t2")"
    log "(a) mfleet via CLI: $wall s (convert submit $(elapsed "$t0" "$t1") s)  commands: MFLEET_CLIENT_DB=$db $MFLEET convert submit $clip --profile bench; curl GET $BROKER/v1/jobs/$id (as above); MFLEET_CLIENT_DB=$db $MFLEET convert fetch $id --out $out/cli-$rep"
    add cli "$wall"
    rm -rf "$out"/*
  done
  bench_stop "$A_PID"
fi

# ---- (b) throughput, one worker against two ----
if [[ "$ONLY" == *b* ]]; then
  read -ra args1t <<<"$PROFILE_1T_ARGS"
  first="$(ls "$clips"/short/*.mkv | head -n1)"
  raw_ffmpeg "$first" "$BENCH_TMP/raw-short.mp4" "${args1t[@]}"
  log "(b) one short job run directly: $RAW_WALL s wall, $RAW_CPU s CPU ($(ratio "$RAW_CPU" "$RAW_WALL") cores; 1.00 = single-threaded)  command: ffmpeg -nostdin -hide_banner -nostats -loglevel warning -progress pipe:1 -y -i file:$first $PROFILE_1T_ARGS file:$BENCH_TMP/raw-short.mp4"
  rm -f "$BENCH_TMP/raw-short.mp4"
  start_worker b1 1
  B1_PID="$WORKER_PID"
  warm_up b1
  # run_batch CLIENT KEY: submits every short clip with curl, waits, records jobs/minute under KEY.
  run_batch() {
    local client="$1" key="$2" t0 t1 last run wait first span rate f
    t0="$(now)"
    for f in "$clips"/short/*.mkv; do submit_curl "$f" bench1t "$client" >/dev/null; done
    t1="$(now)"
    wait_client "$client" "$SHORT_JOBS"
    read -r last run wait first <<<"$(client_stats "$client")"
    span="$(elapsed "$t0" "$last")"
    rate="$(awk -v n="$SHORT_JOBS" -v s="$span" 'BEGIN { printf "%.1f\n", n * 60 / s }')"
    log "(b) $key: from the first lease to the last success $(elapsed "$first" "$last") s = $(awk -v n="$SHORT_JOBS" -v s="$(elapsed "$first" "$last")" 'BEGIN { printf "%.1f", n * 60 / s }') jobs/min (without the time before the first job was leased)"
    log "(b) $key: $SHORT_JOBS jobs in $span s = $rate jobs/min (submits took $(elapsed "$t0" "$t1") s; per job median lease->succeeded $run s, queued $wait s)  commands: for f in $clips/short/*.mkv: curl -X POST -T \$f -H 'X-MFleet-Client: $client' '$BROKER/v1/jobs?profile=bench1t&name=...'; span = last finished_at of GET $BROKER/v1/jobs?client=$client&state=succeeded - time before the first POST"
    add "$key" "$rate"
  }
  for rep in $(seq "$REPS"); do
    log "(b) repetition $rep, load $(load1)"
    run_batch "bench-b-one-$rep" one
    start_worker b2 1
    B2_PID="$WORKER_PID"
    log "(b) repetition $rep with two workers, load $(load1)"
    run_batch "bench-b-two-$rep" two
    bench_stop "$B2_PID"
  done
  bench_stop "$B1_PID"
fi

# ---- (c) queue overhead ----
if [[ "$ONLY" == *c* ]]; then
  start_worker c "$TINY_SLOTS"
  C_PID="$WORKER_PID"
  warm_up c
  for rep in $(seq "$REPS"); do
    log "(c) repetition $rep, load $(load1)"
    db="$BENCH_TMP/client-c-$rep.db"
    t0="$(now)"
    MFLEET_CLIENT_DB="$db" "$MFLEET" convert submit "$clips"/tiny/*.wav --profile flac >"$BENCH_TMP/ids-c-$rep" 2>/dev/null
    t1="$(now)"
    client="$(job_json "$(head -n1 "$BENCH_TMP/ids-c-$rep")" | jq -r .client)"
    [ "$(wc -l <"$BENCH_TMP/ids-c-$rep")" -eq "$TINY_JOBS" ] || { echo "(c) convert submit printed $(wc -l <"$BENCH_TMP/ids-c-$rep") ids, not $TINY_JOBS" >&2; exit 1; }
    wait_client "$client" "$TINY_JOBS"
    read -r last run wait _ <<<"$(client_stats "$client")"
    span="$(elapsed "$t0" "$last")"
    rate="$(awk -v n="$TINY_JOBS" -v s="$span" 'BEGIN { printf "%.1f\n", n / s }')"
    log "(c) $TINY_JOBS tiny jobs in $span s = $rate jobs/s (convert submit of all took $(elapsed "$t0" "$t1") s = $(awk -v n="$TINY_JOBS" -v s="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.1f", n / s }') submits/s; per job median lease->succeeded $run s, queued $wait s)  commands: MFLEET_CLIENT_DB=$db $MFLEET convert submit $clips/tiny/*.wav --profile flac; span = last finished_at of GET $BROKER/v1/jobs?client=$client&state=succeeded - time before the submit"
    add tiny "$rate"
  done
  bench_stop "$C_PID"
fi
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- summary ----
echo
echo "conversion.sh: medians of $REPS repetitions"
if [[ "$ONLY" == *a* ]]; then
  base="$(med raw)"
  echo "  (a) one conversion, $CONV_SECONDS s $CONV_SIZE clip, profile bench (h264-mp4's arguments), submit to fetched and checked"
  printf '  %-34s %8s s  [%s]\n' "ffmpeg direct (baseline)" "$base" "${samples[raw]% }"
  for k in curl cli; do
    value="$(med "$k")"; r="$(ratio "$value" "$base")"
    name="one conversion via $([ "$k" = curl ] && echo "curl" || echo "mfleet CLI")"
    printf '  %-34s %8s s  ratio %5s  target <= 1.05  [%s]\n' "$name" "$value" "$r" "${samples[$k]% }"
    result "$name" "$value" "$base" "$r" "<= 1.05" "$(met "$r" '<=' 1.05)" "s wall vs ffmpeg direct"
  done
fi
if [[ "$ONLY" == *b* ]]; then
  base="$(med one)"; value="$(med two)"; r="$(ratio "$value" "$base")"
  echo "  (b) $SHORT_JOBS jobs of $SHORT_SECONDS s $SHORT_SIZE, profile bench1t (-threads 1)"
  printf '  %-34s %8s jobs/min  [%s]\n' "one worker (baseline)" "$base" "${samples[one]% }"
  printf '  %-34s %8s jobs/min  ratio %5s  target >= 1.7  [%s]\n' "two workers" "$value" "$r" "${samples[two]% }"
  result "$SHORT_JOBS short jobs, 2 workers vs 1" "$value" "$base" "$r" ">= 1.7" "$(met "$r" '>=' 1.7)" "jobs/min vs one worker"
fi
if [[ "$ONLY" == *c* ]]; then
  value="$(med tiny)"; r="$(ratio "$value" 20)"
  echo "  (c) $TINY_JOBS jobs of 1 s WAV to flac, one worker with $TINY_SLOTS slots, first submit to last succeeded"
  printf '  %-34s %8s jobs/s  ratio %5s  target >= 20 jobs/s  [%s]\n' "queue overhead" "$value" "$r" "${samples[tiny]% }"
  result "$TINY_JOBS tiny jobs (queue overhead)" "$value" "20" "$r" ">= 20/s" "$(met "$value" '>=' 20)" "jobs/s vs the limit"
fi
