#!/bin/bash
# tasks-discovery: Galera peers from swarm's own DNS, the way colinmollenhour/mariadb-galera-swarm
# finds them (its start.sh: `node tasks.seed,tasks.node`, `getent hosts`, GCOMM_MINIMUM), on the
# lab's MariaDB 10.11 + galera-4 image. No etcd, no state outside the task.
#
#   tasks-entrypoint.sh seed [mariadbd options...]  bootstrap a new cluster: gcomm:// and --wsrep-new-cluster
#   tasks-entrypoint.sh node [mariadbd options...]  join gcomm://<tasks of NODE_SERVICES that answer on 4567>
#   tasks-entrypoint.sh status                      (through docker exec) this member's own view, one line
#
# Environment:
#   MYSQL_ROOT_PASSWORD  root's password ('root'@'%' and 'root'@'localhost'); needed on the first start
#   CLUSTER_NAME         wsrep_cluster_name (default tasks)
#   NODE_SERVICES        service names whose tasks.<name> answers are peers (default seed,node: in a
#                        stack, each service is also known on the stack's networks by its short name)
#   MIN_PEERS            node: start once at least this many peers answer on 4567 (default 1)
#   DISCOVERY_TIMEOUT    seconds to wait for the own address and, as a node, for peers (default 300);
#                        then exit 1 and let swarm start the task again
#   SERVICE_NAME         this task's service, from the stack file: SERVICE_NAME: "{{.Service.Name}}"
#   NODE_ADDRESS         optional: this task's address on the Galera network, instead of finding it
#   WSREP_SST_METHOD     default rsync (needs no user); WSREP_PROVIDER_OPTIONS passed on when set
#
# Every decision is one line "[tasks-discovery] <event> key=value ..." in the task's log.
#
# Where this differs from mariadb-galera-swarm, and why:
# - a peer counts only when it accepts a TCP connection on 4567 (Galera's port): swarm lists a task in
#   DNS as soon as its container starts, long before mariadbd listens, and keeps listing a task lost
#   with its host for a while. start.sh only counts resolved addresses.
# - the own address is the local address that tasks.<own service> lists (start.sh takes eth0, or a
#   pattern in NODE_ADDRESS): see own_address below.
# - no data volume, so no recovery from grastate.dat/gvwstate.dat (its mysqld.sh): every task starts
#   with an empty datadir and a node copies the cluster's state by SST. A whole-cluster restart
#   therefore needs the seed again (scale seed to 1): nodes only ever join.
# - a seed that starts while other members already answer joins them instead of bootstrapping a
#   second cluster (a seed task restarted by swarm after the nodes took over).
set -u

DATADIR=/var/lib/mysql
GALERA_PORT=4567
CLUSTER_NAME=${CLUSTER_NAME:-tasks}
NODE_SERVICES=${NODE_SERVICES:-seed,node}
MIN_PEERS=${MIN_PEERS:-1}
DISCOVERY_TIMEOUT=${DISCOVERY_TIMEOUT:-300}
PLAN_FILE=/tmp/tasks-discovery.plan

log() { echo "[tasks-discovery] $*"; }
fail() {
  log "fatal message=\"$*\""
  echo "tasks-entrypoint: $*" >&2
  exit 1
}
# "a b\nc" -> "a,b,c" (lists are kept as whitespace-separated words)
join_comma() {
  printf '%s' "$*" | tr -s ' \t\n' ',' | sed 's/^,//; s/,$//'
}
is_ipv4() { [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; }

case "$MIN_PEERS" in '' | *[!0-9]* | 0) fail "MIN_PEERS must be a number of at least 1, not \"$MIN_PEERS\"" ;; esac
case "$DISCOVERY_TIMEOUT" in '' | *[!0-9]*) fail "DISCOVERY_TIMEOUT must be seconds, not \"$DISCOVERY_TIMEOUT\"" ;; esac

# IPv4 addresses of a name, sorted, one a line; nothing when the name does not resolve. ahostsv4
# asks for A records only (`getent hosts` asks for AAAA first). tasks.<service> of a service with no
# running task is unknown to swarm's DNS, which then forwards the question to the host's resolvers:
# `timeout` bounds that.
resolve() {
  timeout 5 getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u | while read -r a; do
    is_ipv4 "$a" && echo "$a"
  done
}

# "address/prefix" of every IPv4 address of this container but loopback.
local_cidrs() {
  ip -o -4 addr show | awk '$2 != "lo" { print $4 }'
}

ip_to_int() {
  local IFS=.
  # shellcheck disable=SC2086
  set -- $1
  echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4))
}

# in_subnet 10.0.1.7 10.0.1.5/24
in_subnet() {
  local bits=${2#*/} ip net mask
  ip=$(ip_to_int "$1")
  net=$(ip_to_int "${2%/*}")
  mask=$(((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))
  [ "$bits" -eq 0 ] && mask=0
  [ $((ip & mask)) -eq $((net & mask)) ]
}

service_names() {
  local s
  for s in ${NODE_SERVICES//,/ }; do [ -n "$s" ] && echo "$s"; done
}

# The task's own address on the Galera network. A task with published ports or several networks
# has several interfaces (the stack's overlay, docker_gwbridge, ingress when a port is published in
# ingress mode), and their order is not fixed, so neither eth0 nor the first word of `hostname -I`
# is reliably the overlay address. Swarm's DNS lists exactly one of them under tasks.<own service>:
# the address on the network where that name was asked, the one the peers reach. It is the local
# address that appears there. Swarm activates a task's DNS entry just after its container starts,
# so the entrypoint can ask before its own entry exists: it asks again every second (up to 60 s).
# If it still does not appear, the fallback is the one local address whose subnet (its own prefix,
# e.g. /24) holds the addresses the peers' names resolve to.
own_address() {
  local names deadline cidrs name a c bound
  if [ -n "${NODE_ADDRESS:-}" ]; then
    is_ipv4 "$NODE_ADDRESS" || fail "NODE_ADDRESS must be an IPv4 address, not \"$NODE_ADDRESS\""
    OWN=$NODE_ADDRESS
    log "own-address own=$OWN from=NODE_ADDRESS"
    return
  fi
  # The own service's full name first; the short names of NODE_SERVICES as well (the own service is
  # one of them), so a missing or unresolvable SERVICE_NAME does not matter. A local address found in
  # any of these lists is this task's: no other task has it.
  names="${SERVICE_NAME:-} $(service_names)"
  bound=60
  [ "$DISCOVERY_TIMEOUT" -lt "$bound" ] && bound=$DISCOVERY_TIMEOUT
  deadline=$((SECONDS + bound))
  while :; do
    cidrs=$(local_cidrs)
    for name in $names; do
      for a in $(resolve "tasks.$name"); do
        for c in $cidrs; do
          if [ "${c%/*}" = "$a" ]; then
            OWN=$a
            log "own-address own=$OWN from=tasks.$name local=$(join_comma "$cidrs")"
            return
          fi
        done
      done
    done
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 1
  done
  # Fallback: the subnet that holds the peers.
  local peers matches=""
  peers=$(for name in $(service_names); do resolve "tasks.$name"; done | sort -u)
  for c in $cidrs; do
    for a in $peers; do
      if in_subnet "$a" "$c"; then
        matches="$matches ${c%/*}"
        break
      fi
    done
  done
  # shellcheck disable=SC2086
  set -- $matches
  if [ $# -eq 1 ]; then
    OWN=$1
    log "own-address own=$OWN from=subnet-of-peers local=$(join_comma "$cidrs") peers=$(join_comma "$peers")"
    return
  fi
  fail "cannot tell this task's address on the Galera network: tasks.{$(join_comma "$names")} lists none of the local addresses ($(join_comma "$cidrs")) after ${bound}s, and $# local subnets hold the peers ($(join_comma "$peers")); set SERVICE_NAME: \"{{.Service.Name}}\" in the stack file or NODE_ADDRESS"
}

# Does something accept a TCP connection on Galera's port? (bash's /dev/tcp; `timeout` because a
# connect to a host cut off by a fault hangs instead of being refused)
answers() {
  timeout 1 bash -c "exec 3<>/dev/tcp/$1/$GALERA_PORT" 2>/dev/null
}

# One pass: every task of NODE_SERVICES but this one, and those of them that answer on 4567.
# Sets RESOLVED and ANSWERING (space-separated, sorted).
probe_peers() {
  local name a
  RESOLVED=$(for name in $(service_names); do resolve "tasks.$name"; done | sort -u | grep -vxF "$OWN" | tr '\n' ' ')
  RESOLVED=${RESOLVED% }
  ANSWERING=""
  for a in $RESOLVED; do
    answers "$a" && ANSWERING="$ANSWERING $a"
  done
  ANSWERING=${ANSWERING# }
}

count_words() {
  # shellcheck disable=SC2086
  set -- $1
  echo $#
}

# node: until at least MIN_PEERS peers answer (bounded by DISCOVERY_TIMEOUT). Sets PEERS.
wait_for_peers() {
  local deadline=$((SECONDS + DISCOVERY_TIMEOUT)) last="" line next_report=0 n
  while :; do
    probe_peers
    n=$(count_words "$ANSWERING")
    line="resolved=$(join_comma "$RESOLVED") answering=$(join_comma "$ANSWERING")"
    # One line when the answer changes, and every 30 s while it does not.
    if [ "$line" != "$last" ] || [ "$SECONDS" -ge "$next_report" ]; then
      log "probe $line port=$GALERA_PORT min_peers=$MIN_PEERS"
      last=$line
      next_report=$((SECONDS + 30))
    fi
    if [ "$n" -ge "$MIN_PEERS" ]; then
      PEERS=$(join_comma "$ANSWERING")
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "gave up after ${DISCOVERY_TIMEOUT}s: $n peers answer on $GALERA_PORT (${ANSWERING:-none}), at least $MIN_PEERS needed; tasks.{$NODE_SERVICES} list $(join_comma "${RESOLVED:-none}") besides this task; swarm will start it again"
    fi
    sleep 2
  done
}

sql_string() {
  local s=${1//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}

# First start: a fresh datadir and the root logins, as the lab's own entrypoint makes them
# (src/discovery/entrypoint.ts, initDatadir). A node's datadir is replaced by its SST later; it is
# made all the same so that mariadbd can start and ask for one.
init_datadir() {
  if [ -d "$DATADIR/mysql" ]; then
    log "datadir state=existing"
    return
  fi
  [ -n "${MYSQL_ROOT_PASSWORD:-}" ] || fail "the datadir is empty and MYSQL_ROOT_PASSWORD is not set"
  mkdir -p "$DATADIR" /run/mysqld
  chown mysql:mysql "$DATADIR" /run/mysqld
  if ! mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --auth-root-authentication-method=socket >/tmp/install-db.log 2>&1; then
    cat /tmp/install-db.log >&2
    fail "mariadb-install-db failed (its output is above)"
  fi
  local pw
  pw=$(sql_string "$MYSQL_ROOT_PASSWORD")
  if ! mariadbd --bootstrap --user=mysql --datadir="$DATADIR" --wsrep-on=OFF --skip-networking --log-error=/tmp/init.err <<SQL; then
USE mysql;
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD($pw);
CREATE USER 'root'@'%' IDENTIFIED BY $pw;
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
    cat /tmp/init.err >&2
    fail "setting the root logins failed (mariadbd --bootstrap; its log is above)"
  fi
  log "datadir state=initialised"
}

start_mariadbd() { # $1: cluster address, $2: yes to bootstrap; then mariadbd options from the command
  local address=$1 bootstrap=$2
  shift 2
  local args=(
    --user=mysql
    --datadir="$DATADIR"
    --bind-address=0.0.0.0
    --wsrep-on=ON
    --wsrep-provider=/usr/lib/galera/libgalera_smm.so
    --wsrep-cluster-name="$CLUSTER_NAME"
    --wsrep-cluster-address="$address"
    --wsrep-node-address="$OWN"
    --wsrep-sst-method="${WSREP_SST_METHOD:-rsync}"
    --binlog-format=ROW
    --default-storage-engine=InnoDB
    --innodb-autoinc-lock-mode=2
    --innodb-flush-log-at-trx-commit=0
    --innodb-buffer-pool-size=64M
    --performance-schema=OFF
  )
  [ -n "${WSREP_PROVIDER_OPTIONS:-}" ] && args+=(--wsrep-provider-options="$WSREP_PROVIDER_OPTIONS")
  [ "$bootstrap" = yes ] && args+=(--wsrep-new-cluster)
  args+=("$@")
  printf 'own=%s\ncluster_address=%s\nbootstrap=%s\n' "$OWN" "$address" "$bootstrap" >"$PLAN_FILE"
  log "start-mariadbd own=$OWN cluster_address=$address bootstrap=$bootstrap"
  # exec: mariadbd becomes PID 1 and gets swarm's SIGTERM itself, so it leaves the cluster cleanly.
  exec mariadbd "${args[@]}"
}

# docker exec <task> tasks-entrypoint.sh status
status() {
  local out
  out=$(timeout 10 mariadb --protocol=socket -uroot -N -B -e "SHOW GLOBAL STATUS LIKE 'wsrep_%'" 2>&1) || fail "mariadbd does not answer on its socket: $out"
  local plan=""
  [ -f "$PLAN_FILE" ] && plan=$(tr '\n' ' ' <"$PLAN_FILE" | sed 's/ *$//')
  echo "$out" | awk -v plan="$plan" '
    { v[$1] = $2 }
    END {
      printf "[tasks-discovery] status cluster_status=%s cluster_size=%s state=%s ready=%s %s\n",
        v["wsrep_cluster_status"], v["wsrep_cluster_size"], v["wsrep_local_state_comment"], v["wsrep_ready"], plan
    }'
}

mode=${1:-}
case "$mode" in
  seed | node) shift ;;
  status)
    status
    exit 0
    ;;
  *)
    echo "usage: tasks-entrypoint.sh seed|node [mariadbd options...] | status" >&2
    exit 2
    ;;
esac

# bash as PID 1 ignores SIGTERM unless it traps it: without this, scaling down during discovery
# would wait for swarm's stop_grace_period and a SIGKILL. (exec mariadbd drops the trap.)
trap 'log "signal while discovering: exiting"; exit 143' TERM INT

log "start mode=$mode cluster=$CLUSTER_NAME service=${SERVICE_NAME:-unset} node_services=$NODE_SERVICES min_peers=$MIN_PEERS timeout=${DISCOVERY_TIMEOUT}s"
init_datadir
own_address

if [ "$mode" = seed ]; then
  probe_peers
  if [ -n "$ANSWERING" ]; then
    log "decision=join own=$OWN peers=$(join_comma "$ANSWERING") reason=\"members already answer on $GALERA_PORT: a second bootstrap would split the cluster\""
    start_mariadbd "gcomm://$(join_comma "$ANSWERING")" no "$@"
  fi
  log "decision=bootstrap own=$OWN resolved=$(join_comma "$RESOLVED") reason=\"seed, and no other member answers on $GALERA_PORT\""
  start_mariadbd "gcomm://" yes "$@"
fi

wait_for_peers
log "decision=join own=$OWN peers=$PEERS"
start_mariadbd "gcomm://$PEERS" no "$@"
