#!/bin/bash
# The honest baseline for overheadRatio: the seed's deployment as a plain shell script of docker
# commands, with the same hosts, images and checks of "three Synced", and none of the lab's code.
# It prints the seconds it took on its last line. The bench runs it right after the lab did the same.
#
#   DIND_IMAGE=swarmlab/dind:<tag> ETCD_ARCHIVE=<docker save file> GALERA_ARCHIVE=<file> bench/baseline.sh
set -euo pipefail
: "${DIND_IMAGE:?}" "${ETCD_ARCHIVE:?}" "${GALERA_ARCHIVE:?}"
NET=swarmlab-baseline-net
P=192.168.77
LABEL=swarmlab.lab=bench-baseline
start=$(date +%s.%N)

cleanup() {
  docker rm -f base-docker1 base-docker2 base-docker3 >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
  docker volume rm base-docker1-data base-docker2-data base-docker3-data >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

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
for i in 1 2 3; do
  until docker exec "base-docker$i" docker info >/dev/null 2>&1; do sleep 0.2; done
done

# etcd runs on docker1 only; Galera everywhere
docker exec -i base-docker1 docker load -q < "$ETCD_ARCHIVE" >/dev/null &
for i in 1 2 3; do docker exec -i "base-docker$i" docker load -q < "$GALERA_ARCHIVE" >/dev/null & done
wait

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
  local n=0
  for i in 1 2 3; do
    c=$(docker exec "base-docker$i" docker ps -q --filter label=com.docker.swarm.service.name=mysql-galera | head -1)
    [ -n "$c" ] || return 1
    out=$(docker exec "base-docker$i" docker exec "$c" mariadb -uroot -pmypassword -N -B \
      -e "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment')" 2>/dev/null) || return 1
    echo "$out" | grep -q "wsrep_cluster_size	3" && echo "$out" | grep -q "Synced" && n=$((n + 1))
  done
  [ "$n" -eq 3 ]
}
deadline=$(( $(date +%s) + 300 ))
until synced; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "baseline: Galera not Synced within 300 s" >&2; exit 1; }
  sleep 1
done
cleanup
trap - EXIT
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }'
