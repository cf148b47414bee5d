#!/bin/sh
# sshd in front (PID 1, what the lab reaches); dockerd behind it, started as a service would be.
# The arguments are dockerd's: kept for `swarmlab-power start`.
set -eu
mkdir -p /etc/swarmlab /run/sshd
printf '%s\n' "$@" >/etc/swarmlab/dockerd-args
ssh-keygen -A >/dev/null
/usr/local/sbin/swarmlab-power start
exec /usr/sbin/sshd -D -e
