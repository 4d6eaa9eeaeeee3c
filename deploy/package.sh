#!/usr/bin/env bash
# Builds the Debian package mediafleet_<version>_amd64.deb from this checkout and prints its path.
#
#   deploy/package.sh [--out DIR]      (default DIR: .build/package)
#
# The package holds a native-AOT mfleet (no .NET runtime needed on the server; a node listens about 0.1 s after its
# start) in /usr/lib/mediafleet with /usr/bin/mfleet linking to it, the systemd units of deploy/systemd, default
# settings in /etc/mfleet (conffiles), and maintainer scripts that create the mfleet system user and never start a
# service on their own. The version is the one `mfleet --version` prints, without its build metadata (+commit).
# Needs: the .NET SDK of global.json, clang (the native linker), dpkg-deb; the network only for NuGet packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/.build/package"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "package.sh: --out needs a folder" >&2; exit 2; }; out="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/mfleet-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
publish="$work/publish"
root="$work/root"

# The whole build goes into $work (--artifacts-path): it neither reads nor disturbs the obj/ and bin/ folders of a
# build or a ./mfleet run in the same checkout. Native libraries that are not part of the program (SQLite's
# libe_sqlite3.so) stay files beside mfleet. The symbols go to mfleet.dbg, which the package leaves out.
command -v clang >/dev/null 2>&1 || { echo "package.sh: the native build needs clang (apt-get install clang)" >&2; exit 1; }
echo "package.sh: publishing mfleet (Release, linux-x64, native AOT)" >&2
log="$work/publish.log"
if ! dotnet publish "$here/src/MediaFleet.Cli/MediaFleet.Cli.csproj" -c Release -r linux-x64 -p:PublishAot=true \
    --artifacts-path "$work/artifacts" -o "$publish" --nologo -v quiet >"$log" 2>&1; then
  grep -E "error" "$log" >&2 || cat "$log" >&2
  echo "package.sh: dotnet publish failed" >&2
  exit 1
fi
[ -f "$publish/mfleet.dll" ] && { echo "package.sh: the publish made mfleet.dll, not a native mfleet" >&2; exit 1; }

full_version="$("$publish/mfleet" --version)"
version="${full_version%%+*}"
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.~+-]*$ ]]; then
  echo "package.sh: 'mfleet --version' printed '$full_version', not a version" >&2
  exit 1
fi

install -d "$root/usr/lib/mediafleet" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/mfleet" \
  "$root/usr/share/doc/mediafleet" "$root/DEBIAN"
install -m 0755 "$publish/mfleet" "$root/usr/lib/mediafleet/mfleet"
for library in "$publish"/*.so; do
  [ -e "$library" ] && install -m 0644 "$library" "$root/usr/lib/mediafleet/"
done
# Through the link, mfleet still finds the libraries beside the real file (it resolves /proc/self/exe).
ln -s ../lib/mediafleet/mfleet "$root/usr/bin/mfleet"
install -m 0644 "$here"/deploy/systemd/mfleet-*.service "$root/lib/systemd/system/"
install -m 0644 "$here"/deploy/config/*.json "$root/etc/mfleet/"
install -m 0644 "$here/README.md" "$root/usr/share/doc/mediafleet/README.md"

(cd "$root" && find etc -type f | sort | sed 's#^#/#') >"$root/DEBIAN/conffiles"
installed_kib="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<EOF
Package: mediafleet
Version: $version
Architecture: amd64
Maintainer: ${DEB_MAINTAINER:-MediaFleet <mediafleet@invalid>}
Installed-Size: $installed_kib
Depends: libc6 (>= 2.31), libgcc-s1, libstdc++6, libssl3 | libssl3t64, adduser
Recommends: ca-certificates
Suggests: nginx, ffmpeg
Section: net
Priority: optional
Description: one program for a small media cluster
 MediaFleet (mfleet) keeps a media library on a few data nodes behind a load
 balancer: library and ingest, replication, nginx upstream states from
 heartbeats, scrub and heal, preservation scores, and a conversion queue.
 .
 The roles run as systemd services (mfleet-node, mfleet-coordinator,
 mfleet-broker, mfleet-worker); none is started on installation.
EOF

cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# Creates the mfleet system user and its state folder, keeps /etc/mfleet readable by mfleet and root only, and
# restarts the MediaFleet units that were running (an upgrade). It never starts a unit that was not running.
set -e
units="mfleet-node.service mfleet-coordinator.service mfleet-broker.service mfleet-worker.service"
if [ "$1" = configure ]; then
  if ! getent group mfleet >/dev/null; then
    addgroup --system --quiet mfleet
  fi
  if ! getent passwd mfleet >/dev/null; then
    adduser --system --quiet --ingroup mfleet --home /var/lib/mfleet --no-create-home \
      --shell /usr/sbin/nologin --gecos "MediaFleet" mfleet
  fi
  install -d -o mfleet -g mfleet -m 0750 /var/lib/mfleet
  # Settings may name secrets (a token, TLS key paths): readable by the services' group, never by everyone.
  chown root:mfleet /etc/mfleet /etc/mfleet/*.json
  chmod 0750 /etc/mfleet
  chmod 0640 /etc/mfleet/*.json
  # The cluster token: systemd reads it as root (LoadCredential=); nobody else needs to.
  if [ -e /etc/mfleet/token ]; then
    chown root:root /etc/mfleet/token
    chmod 0600 /etc/mfleet/token
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
    if [ -n "$2" ]; then
      # An upgrade: running units restart on the new binary (catalogs are brought up to date at start).
      for unit in $units; do
        systemctl try-restart "$unit" || echo "mediafleet: $unit did not restart; see: journalctl -u $unit" >&2
      done
    fi
  fi
fi
exit 0
EOF

cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# On removal (not on an upgrade, where postinst restarts them): stops and disables the MediaFleet units.
set -e
units="mfleet-node.service mfleet-coordinator.service mfleet-broker.service mfleet-worker.service"
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop $units || true
  systemctl disable --quiet $units || true
fi
exit 0
EOF

cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# After removal systemd forgets the units; a purge also removes the cluster token. Libraries and broker data in
# /var/lib/mfleet and the mfleet user stay: they are the operator's data, and files may still belong to the user.
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
  fi
fi
if [ "$1" = purge ]; then
  rm -f /etc/mfleet/token
  rmdir /etc/mfleet 2>/dev/null || true
fi
exit 0
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

deb="$out/mediafleet_${version}_amd64.deb"
# gzip: every dpkg reads it, and it packs the binary in seconds where xz takes a minute.
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "$deb"
