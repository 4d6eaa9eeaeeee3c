#!/usr/bin/env bash
# Installs what the tests need (ffmpeg, nginx, rsync, chromium, chromium-driver, prometheus's promtool, systemd's
# systemd-analyze, clang for the native package build, from Debian, only when missing), builds, runs every test
# project, and ends with one line "N passed, N failed[, N skipped]". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# systemd-analyze checks the units in deploy/systemd (nothing is started); dpkg-deb, part of dpkg, builds the package.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
# clang links the native-AOT mfleet that deploy/package.sh puts in the package.
command -v clang >/dev/null 2>&1 || missing+=(clang)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  # The tests need only promtool from the prometheus package: keep its (and nginx's) service from being started by the
  # install, here or on a machine running systemd, through a policy-rc.d that exists for the install only.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=/usr/sbin/policy-rc.d
  fi
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/mfleet-apt.log 2>&1; then
    apt-get update -q >>/tmp/mfleet-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/mfleet-apt.log 2>&1 \
      || { [ -n "$policy" ] && rm -f "$policy"; cat /tmp/mfleet-apt.log; echo "0 passed, 1 failed"; exit 1; }
  fi
  [ -n "$policy" ] && rm -f "$policy"
fi
export PATH="$PATH:/usr/sbin"

if ! dotnet build MediaFleet.slnx -c Debug --nologo -v minimal; then
  echo "test.sh: the build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
dotnet test MediaFleet.slnx -c Debug --no-build --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the runner itself failed (crash, hang) without a counted test failure
fi
if [ "$failed" -gt 0 ]; then
  # The names and first message lines of what failed, so a CI log cut to its tail still says what broke.
  echo "failed tests:"
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    awk '
      /<UnitTestResult / { inFailed = ($0 ~ /outcome="Failed"/); if (inFailed) { match($0, /testName="[^"]*"/); print "  " substr($0, RSTART + 10, RLENGTH - 11) } }
      inFailed && /<Message>/ { inMessage = 1; shown = 0 }
      inMessage { if (shown < 4) { line = $0; gsub(/<\/?Message>/, "", line); gsub(/^[ \t]+/, "", line); print "      " line; shown++ } }
      /<\/Message>/ { inMessage = 0 }
      /<\/UnitTestResult>/ { inFailed = 0 }
    ' "$trx"
  done
fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
