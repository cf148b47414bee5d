#!/bin/sh
# Makes a minimal Debian bookworm root file system in $1 from the mirror $2, ready for `docker import`.
set -eu
dir=$1
mirror=$2
debootstrap --variant=minbase --include=ca-certificates bookworm "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 || {
  tail -30 "$dir.debootstrap.log" >&2
  exit 1
}
cat >"$dir/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
SOURCES
# Keep images small and apt quiet inside builds.
cat >"$dir/etc/apt/apt.conf.d/90swarmlab" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
CONF
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
