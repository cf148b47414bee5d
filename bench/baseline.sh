#!/bin/bash
# The honest baseline for overheadRatio: the seed's deployment as a plain shell script of docker
# commands, with the same hosts, images and checks of "three Synced", and none of the lab's code.
# The bench runs it right after the lab did the same.
#
# It gets the advantage the lab has: images already in its hosts. The lab fills each new host's
# /var/lib/docker volume from its host image cache (src/images/host-cache.ts, kept since the first
# `up`); this script keeps its hosts' /var/lib/docker volumes (base-docker1..3-data, labelled
# swarmlab.lab=bench-baseline) between runs, one set per set of images (the dind, etcd and galera
# image IDs; another set's volumes are replaced, as the lab keeps one cache per set of image tags).
# A host loads an image only when it lacks the exact image ID the archive holds.
#
# The timed window brackets what the lab's warm `run seed` (seedRunSeconds) does: the hosts
# created and their engines up, the images checked (and loaded where one is missing), the
# walkthrough's deployment up to three Synced members, and the removal of what the run made. The
# lab removes its hosts with their volumes; this script removes the swarm, the containers, their
# volumes and the networks from each host's engine, then the hosts, and keeps the volumes with
# their images. A run that fails, or that finds hosts of an earlier run left behind, removes the
# volumes too (what they hold is not known), and the next run loads the images again.
#
#   bench/baseline.sh             a timed run; the seconds it took on its last line
#   bench/baseline.sh --prepare   not timed: the kept volumes get the images they lack (the bench
#                                 runs it before each timed run, as `up` fills the lab's cache
#                                 before the bench times the seed); its own seconds on its last line
#   bench/baseline.sh --clean     removes the hosts, the network and the kept volumes
#
# A run and --prepare need DIND_IMAGE=swarmlab/dind:<tag> ETCD_ARCHIVE=<docker save file>
# GALERA_ARCHIVE=<docker save file> (each archive holds <repo>:latest) and print, before the
# seconds, one line "images: <host> <image> loaded|same image ID; ...".
set -euo pipefail

mode=run
case "${1:-}" in
  "") ;;
  --prepare) mode=prepare ;;
  --clean) mode=clean ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "baseline: unknown argument \"$1\" (none for a timed run, --prepare or --clean)" >&2
    exit 2
    ;;
esac

NET=swarmlab-baseline-net
P=192.168.77
LABEL=swarmlab.lab=bench-baseline
IMAGES_LABEL=swarmlab.baseline.images
HOSTS=(base-docker1 base-docker2 base-docker3)

remove_hosts() {
  docker rm -f "${HOSTS[@]}" >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
}
drop_volumes() {
  local h
  for h in "${HOSTS[@]}"; do docker volume rm -f "$h-data" >/dev/null 2>&1 || true; done
}

if [ "$mode" = clean ]; then
  remove_hosts
  drop_volumes
  exit 0
fi

: "${DIND_IMAGE:?}" "${ETCD_ARCHIVE:?}" "${GALERA_ARCHIVE:?}"

# Hosts of an earlier run still there: it was killed before its end, and its volumes hold that
# run's swarm, containers and data besides the images.
if [ -n "$(docker ps -aq --filter "label=$LABEL")" ]; then
  echo "baseline: hosts of an earlier run were left behind: removing them and the kept volumes" >&2
  remove_hosts
  drop_volumes
fi
docker network rm "$NET" >/dev/null 2>&1 || true

# The image ID an archive gives <repo>:latest (its config digest, from the archive's manifest).
archive_id() {
  local id
  id=$(tar -xOf "$1" manifest.json | tr '{' '\n' | grep -F "\"$2:latest\"" | grep -o '"Config":"[^"]*"' | grep -o '[0-9a-f]\{64\}' | sed -n 1p) || true
  [ -n "$id" ] || { echo "baseline: $1 holds no $2:latest" >&2; return 1; }
  echo "sha256:$id"
}
ETCD_ID=$(archive_id "$ETCD_ARCHIVE" swarmlab/etcd)
GALERA_ID=$(archive_id "$GALERA_ARCHIVE" swarmlab/galera)
KEY=$(printf '%s %s %s\n' "$(docker image inspect --format '{{.Id}}' "$DIND_IMAGE")" "$ETCD_ID" "$GALERA_ID" | sha256sum | cut -c1-12)

work=$(mktemp -d)
finished=0
on_exit() {
  # A run that did not finish: its hosts go, and its volumes with them (their state is not known).
  if [ "$finished" != 1 ]; then
    remove_hosts
    drop_volumes
  fi
  rm -rf "$work"
}
trap on_exit EXIT

start=$(date +%s.%N)

# The kept volumes of this set of images; another set's are replaced by empty ones.
for h in "${HOSTS[@]}"; do
  have=$(docker volume inspect --format "{{index .Labels \"$IMAGES_LABEL\"}}" "$h-data" 2>/dev/null) || have=
  if [ "$have" != "$KEY" ]; then
    docker volume rm -f "$h-data" >/dev/null 2>&1 || true
    docker volume create --label "$LABEL" --label "$IMAGES_LABEL=$KEY" "$h-data" >/dev/null
  fi
done

docker network create --label "$LABEL" --subnet "$P.0/24" "$NET" >/dev/null
for i in 1 2 3; do
  docker run -d --name "base-docker$i" --label "$LABEL" --hostname "docker$i.htsec.com" \
    --network "$NET" --ip "$P.20$i" \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    --device-cgroup-rule 'a *:* rwm' \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "base-docker$i-data:/var/lib/docker" \
    "$DIND_IMAGE" --host=tcp://0.0.0.0:2375 --tls=false >/dev/null
done
# A kept volume whose engine does not come up fails the run, and the volumes go with it.
deadline=$(($(date +%s) + 90))
for h in "${HOSTS[@]}"; do
  until docker exec "$h" docker info >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "baseline: $h's engine did not answer within 90 s" >&2; exit 1; }
    sleep 0.2
  done
done

# An image goes into a host only when the host lacks its exact ID under the name the script runs.
ensure_image() { # host archive repo id
  local have
  have=$(docker exec "$1" docker image inspect --format '{{.Id}}' "$3:latest" 2>/dev/null) || have=
  if [ "$have" = "$4" ]; then
    echo "$1 $3 same image ID" >"$work/$1-${3#*/}"
  else
    docker exec -i "$1" docker load -q <"$2" >/dev/null
    echo "$1 $3 loaded" >"$work/$1-${3#*/}"
  fi
}
# etcd runs on docker1 only; Galera everywhere. All at once; any failure fails the run.
pids=()
ensure_image base-docker1 "$ETCD_ARCHIVE" swarmlab/etcd "$ETCD_ID" & pids+=($!)
for h in "${HOSTS[@]}"; do ensure_image "$h" "$GALERA_ARCHIVE" swarmlab/galera "$GALERA_ID" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
images=$(cat "$work"/base-docker* | paste -sd ';' - | sed 's/;/; /g')

if [ "$mode" = run ]; then
  docker exec base-docker1 docker swarm init --advertise-addr "$P.201" >/dev/null
  token=$(docker exec base-docker1 docker swarm join-token -q manager)
  for i in 2 3; do docker exec "base-docker$i" docker swarm join --token "$token" "$P.201:2377" >/dev/null; done
  docker exec base-docker1 docker network create --driver overlay mynet >/dev/null
  docker exec base-docker1 docker run -d -p 2379:2379 -p 2380:2380 --name etcd swarmlab/etcd \
    -name etcd1 -advertise-client-urls "http://$P.201:2379" -listen-client-urls http://0.0.0.0:2379 \
    -initial-advertise-peer-urls "http://$P.201:2380" -listen-peer-urls http://0.0.0.0:2380 \
    -initial-cluster-token etcd-cluster -initial-cluster "etcd1=http://$P.201:2380" -initial-cluster-state new >/dev/null
  until docker exec base-docker1 curl -sf "http://$P.201:2379/v2/members" >/dev/null; do sleep 0.2; done
  docker exec base-docker1 docker service create -d --name mysql-galera --replicas 3 \
    --publish mode=host,target=3306 --network mynet \
    --env MYSQL_ROOT_PASSWORD=mypassword --env DISCOVERY_SERVICE="$P.201:2379" \
    --env XTRABACKUP_PASSWORD=mypassword --env CLUSTER_NAME=galera swarmlab/galera >/dev/null

  synced() {
    local n=0 i c out
    for i in 1 2 3; do
      c=$(docker exec "base-docker$i" docker ps -q --filter label=com.docker.swarm.service.name=mysql-galera | head -1)
      [ -n "$c" ] || return 1
      out=$(docker exec "base-docker$i" docker exec "$c" mariadb -uroot -pmypassword -N -B \
        -e "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment')" 2>/dev/null) || return 1
      echo "$out" | grep -q "wsrep_cluster_size	3" && echo "$out" | grep -q "Synced" && n=$((n + 1))
    done
    [ "$n" -eq 3 ]
  }
  deadline=$(($(date +%s) + 300))
  until synced; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "baseline: Galera not Synced within 300 s" >&2; exit 1; }
    sleep 1
  done
fi

# The run's removal: each engine back to images only (no swarm, container, volume or network of
# this run), then the hosts and the network. Volumes an engine could not be emptied on are removed.
reset_engine() {
  docker exec "$1" sh -c '
    timeout 60 docker swarm leave --force >/dev/null 2>&1 || true
    docker ps -aq | xargs -r docker rm -f >/dev/null
    docker volume ls -q | xargs -r docker volume rm -f >/dev/null
    docker network prune -f >/dev/null
    [ "$(docker info --format "{{.Swarm.LocalNodeState}} {{.Containers}}")" = "inactive 0" ]'
}
clean=1
pids=()
for h in "${HOSTS[@]}"; do reset_engine "$h" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || clean=0; done
remove_hosts
if [ "$clean" != 1 ]; then
  echo "baseline: a host's engine kept something of this run: the kept volumes are removed (the next run loads the images again)" >&2
  drop_volumes
fi
finished=1
end=$(date +%s.%N)
echo "images: $images"
awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }'
