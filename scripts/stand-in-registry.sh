#!/bin/sh
# A registry of our own standing in for Docker Hub, to exercise `--images upstream` for real on a
# machine that reaches no Docker Hub: Debian's docker-registry (the distribution project's registry
# 2.8), serving the lab's own images under the walkthrough's names, and this machine's dockerd told
# to use it as a registry mirror (mirrors apply to Docker Hub names only, which is what we want).
#
#   scripts/stand-in-registry.sh start              install docker-registry if missing, serve on 0.0.0.0:5000
#   scripts/stand-in-registry.sh push-stand-ins     swarmlab/base -> debian:bookworm, swarmlab/etcd -> elcolio/etcd,
#                                                   swarmlab/galera -> percona/percona-xtradb-cluster (needs `npm run build`
#                                                   and the lab's images: `swarmlab setup`)
#   scripts/stand-in-registry.sh drop REPO          delete a repository from its storage (e.g. percona/percona-xtradb-cluster)
#   scripts/stand-in-registry.sh add-mirror         dockerd pulls Docker Hub names through it (daemon.json + SIGHUP)
#   scripts/stand-in-registry.sh remove-mirror      back to what dockerd had, daemon.json restored byte for byte
#   scripts/stand-in-registry.sh stop | status
#
# Not Debian's system service: the binary runs with its own config, pid file and log under
# $STAND_IN_DIR (default /var/lib/swarmlab-stand-in-registry). start and stop are idempotent.
# Needs root (apt-get, /etc/docker/daemon.json, signalling dockerd) and a dockerd on this machine.
set -eu

DIR=${STAND_IN_DIR:-/var/lib/swarmlab-stand-in-registry}
PORT=${STAND_IN_PORT:-5000}
MIRROR=${STAND_IN_MIRROR:-http://127.0.0.1:$PORT}
PUSH_TO=127.0.0.1:$PORT
PIDFILE=$DIR/registry.pid
LOG=$DIR/registry.log
CONFIG=$DIR/config.yml
BEFORE=$DIR/daemon.json.before
ABSENT=$DIR/daemon.json.absent
ROOT=$(cd "$(dirname "$0")/.." && pwd)

say() { printf 'stand-in-registry: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

running() {
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "docker-registry" ]
}

answers() { curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null; }

start() {
	if ! command -v docker-registry >/dev/null 2>&1 && [ ! -x /usr/bin/docker-registry ]; then
		say "installing Debian's docker-registry"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1 || {
			apt-get update -q >/dev/null
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null
		}
		# On a systemd machine the install starts Debian's own service on :5000: ours replaces it.
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q docker-registry 2>/dev/null; then
			systemctl disable --now -q docker-registry && say "stopped and disabled the docker-registry service its install started"
		fi
	fi
	mkdir -p "$DIR/data"
	if running; then
		say "already running (pid $(cat "$PIDFILE")) on :$PORT"
		return 0
	fi
	if answers; then die "something else answers on :$PORT (Debian's docker-registry service?): stop it first"; fi
	cat >"$CONFIG" <<CONF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: 0.0.0.0:$PORT
CONF
	nohup /usr/bin/docker-registry serve "$CONFIG" >>"$LOG" 2>&1 &
	echo $! >"$PIDFILE"
	i=0
	until answers; do
		i=$((i + 1))
		if [ $i -gt 50 ] || ! running; then
			tail -20 "$LOG" >&2 || true
			die "the registry did not answer on :$PORT within 10 s (log: $LOG)"
		fi
		sleep 0.2
	done
	say "serving on 0.0.0.0:$PORT (pid $(cat "$PIDFILE"), storage $DIR/data, log $LOG)"
}

stop() {
	if running; then
		pid=$(cat "$PIDFILE")
		kill "$pid"
		i=0
		while [ -d "/proc/$pid" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.2; done
		if [ -d "/proc/$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
		say "stopped (pid $pid)"
	else
		say "not running"
	fi
	rm -f "$PIDFILE"
}

# The lab's own images, by the tags of their current inputs (dist/ from `npm run build`).
lab_tag() {
	node --input-type=module -e "const b = await import('$ROOT/dist/src/images/build.js'); console.log(b.tagOf(process.argv[1]));" "$1"
}

push_one() { # local image, name on Docker Hub
	src=$1
	dest=$PUSH_TO/$2
	docker image inspect "$src" >/dev/null 2>&1 || die "$src is not on this machine's engine: run \`swarmlab setup\` first"
	docker tag "$src" "$dest"
	docker push "$dest" >/dev/null
	docker image rm "$dest" >/dev/null
	say "pushed $src as $2"
}

push_stand_ins() {
	answers || die "the registry does not answer on :$PORT: run \`$0 start\` first"
	[ -f "$ROOT/dist/src/images/build.js" ] || die "no dist/: run \`npm run build\` first"
	push_one "$(lab_tag base)" library/debian:bookworm
	push_one "$(lab_tag etcd)" elcolio/etcd:latest
	push_one "$(lab_tag galera)" percona/percona-xtradb-cluster:latest
}

drop() {
	repo=${1:?drop needs a repository, e.g. percona/percona-xtradb-cluster}
	case $repo in */*) ;; *) repo=library/$repo ;; esac
	rm -rf "$DIR/data/docker/registry/v2/repositories/$repo"
	say "dropped $repo (its manifests are gone; blobs stay until a garbage-collect)"
}

# The outer dockerd: its pid (from its pid file), its config file, and no flag a daemon.json key would clash with.
dockerd_pid() {
	pid=$(cat /var/run/docker.pid 2>/dev/null || true)
	if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "dockerd" ]; then
		die "no dockerd of this machine (/var/run/docker.pid): the mirror can only be set on a local engine"
	fi
	echo "$pid"
}

daemon_json() {
	args=$(tr '\0' '\n' <"/proc/$1/cmdline")
	file=$(printf '%s\n' "$args" | sed -n 's/^--config-file=//p')
	[ -n "$file" ] || file=$(printf '%s\n' "$args" | sed -n '/^--config-file$/{n;p;}')
	if printf '%s\n' "$args" | grep -q '^--registry-mirror'; then
		die "dockerd was started with --registry-mirror: a registry-mirrors key in its daemon.json would make it refuse to reload; add the mirror to its flags by hand"
	fi
	echo "${file:-/etc/docker/daemon.json}"
}

mirrors_now() { docker info --format '{{json .RegistryConfig.Mirrors}}' 2>/dev/null || echo unknown; }

# Reloads dockerd and waits until `docker info` shows (or, with "absent", no longer shows) the mirror.
reload() {
	kill -HUP "$1"
	i=0
	while [ $i -lt 50 ]; do
		m=$(mirrors_now)
		case "$2:$m" in
		*:unknown) ;;
		present:*"$MIRROR"*) return 0 ;;
		absent:*"$MIRROR"*) ;;
		absent:*) return 0 ;;
		esac
		i=$((i + 1))
		sleep 0.2
	done
	die "dockerd did not reload its mirrors within 10 s (now: $(mirrors_now)); see its log"
}

# node edits the JSON: the mirror first in registry-mirrors, everything else as it was.
json_with_mirror() {
	node -e '
const fs = require("fs");
const [file, url, mode, before] = process.argv.slice(1);
let c = {};
const src = mode === "restore-mirrors" ? before : file;
try { c = JSON.parse(fs.readFileSync(src, "utf8")); } catch (e) { if (e.code !== "ENOENT") throw e; }
if (mode === "add") {
  const m = c["registry-mirrors"] || [];
  c["registry-mirrors"] = [url, ...m.filter((x) => x.replace(/\/+$/, "") !== url.replace(/\/+$/, ""))];
} else {
  // dockerd resets mirrors on reload only when the key is in the file: say the old list outright.
  c["registry-mirrors"] = c["registry-mirrors"] || [];
}
fs.writeFileSync(file, JSON.stringify(c, null, 2) + "\n");
' "$@"
}

add_mirror() {
	pid=$(dockerd_pid)
	file=$(daemon_json "$pid")
	mkdir -p "$DIR" "$(dirname "$file")"
	if [ ! -f "$BEFORE" ] && [ ! -f "$ABSENT" ]; then
		if [ -f "$file" ]; then cp -p "$file" "$BEFORE"; else : >"$ABSENT"; fi
		echo "$file" >"$DIR/daemon.json.path"
	fi
	json_with_mirror "$file" "$MIRROR" add
	reload "$pid" present
	say "dockerd (pid $pid) pulls Docker Hub names through $MIRROR ($file; mirrors now $(mirrors_now))"
}

remove_mirror() {
	if [ ! -f "$BEFORE" ] && [ ! -f "$ABSENT" ]; then
		say "no mirror of ours was added"
		return 0
	fi
	pid=$(dockerd_pid)
	file=$(cat "$DIR/daemon.json.path" 2>/dev/null || daemon_json "$pid")
	# First the old mirrors said outright (a key missing from the file leaves dockerd's list as it is),
	# reloaded; then the file exactly as it was (no reload needed: the running daemon already agrees).
	json_with_mirror "$file" "$MIRROR" restore-mirrors "$([ -f "$BEFORE" ] && echo "$BEFORE" || echo /nonexistent)"
	reload "$pid" absent
	if [ -f "$BEFORE" ]; then cp -p "$BEFORE" "$file"; rm -f "$BEFORE"; else rm -f "$file" "$ABSENT"; fi
	rm -f "$DIR/daemon.json.path"
	say "dockerd (pid $pid) no longer uses $MIRROR; $file restored (mirrors now $(mirrors_now))"
}

status() {
	if running; then echo "registry: running (pid $(cat "$PIDFILE")) on :$PORT, storage $DIR/data"; else echo "registry: not running"; fi
	if [ -f "$BEFORE" ] || [ -f "$ABSENT" ]; then echo "mirror: added ($MIRROR)"; else echo "mirror: not added by this script"; fi
	echo "dockerd mirrors: $(mirrors_now)"
}

case ${1:-} in
start) start ;;
stop) stop ;;
push-stand-ins) push_stand_ins ;;
drop) drop "${2:-}" ;;
add-mirror) add_mirror ;;
remove-mirror) remove_mirror ;;
status) status ;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
