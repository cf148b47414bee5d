#!/bin/bash
# The checks of `npm run test:real-kernel`, run INSIDE the qemu guest (a real Debian kernel, cgroup v2,
# Debian's docker.io as the guest's engine), one step per call:
#
#   guest-steps.sh <step>
#
# Each step exits 0 when its check passed; lines `FACT key=value` are picked up by
# scripts/real-kernel.mjs for the report. Every wait is bounded; a failure says which command, and
# prints its output.
#
# The hosts are the lab's own host mode for a cgroup v2 engine (see step_apparmor for the one
# addition an AppArmor kernel needs), as src/hosts/dind/swarm-host-container.ts
# creates them: swarmlab/dind, --privileged, a private cgroup namespace (CgroupnsMode=private),
# /var/lib/docker a volume, the command `--host=tcp://0.0.0.0:2375 --tls=false`, a fixed address on a
# user bridge. The image's entrypoint (lab/images/dind/host-entrypoint.sh) nests the cgroups and
# mounts tmpfs /run and /tmp itself.
set -uo pipefail

NET=swarmlab-real
SUBNET=192.168.10.0/24
HOSTS=(docker1 docker2 docker3)
ADDR=(192.168.10.201 192.168.10.202 192.168.10.203)

say() { echo "[$(date +%T)] $*"; }
fact() { echo "FACT $1=$2"; }
die() { echo "FAIL: $*" >&2; exit 1; }

# run <command...>: runs it, and on failure names the command and prints its output.
run() {
	local out
	if ! out=$("$@" 2>&1); then
		echo "$out" >&2
		die "command failed: $*"
	fi
	[ -z "$out" ] || echo "$out"
}

# wait_for <seconds> <what> <command...>: retries the command every 2 s until it succeeds; returns 1
# (the last output and the command on stderr) when it did not within the bound.
wait_for() {
	local limit=$1 what=$2 start=$SECONDS out=""
	shift 2
	while :; do
		if out=$("$@" 2>&1); then
			say "$what: ok after $((SECONDS - start)) s"
			[ -z "$out" ] || echo "$out"
			return 0
		fi
		if ((SECONDS - start >= limit)); then
			echo "$out" | tail -20 >&2
			echo "FAIL: $what: not within ${limit} s (last try: $*)" >&2
			return 1
		fi
		sleep 2
	done
}

in_host() { local h=$1; shift; docker exec "$h" "$@"; }

step_facts() {
	wait_for 180 "the guest's dockerd answers" docker info --format '{{.ServerVersion}}' || exit 1
	fact kernel "$(uname -r)"
	fact os "$(. /etc/os-release && echo "$PRETTY_NAME")"
	fact docker "$(docker version --format '{{.Server.Version}}')"
	local fs cg
	fs=$(stat -fc %T /sys/fs/cgroup)
	cg=$(docker info --format '{{.CgroupVersion}}')
	fact cgroup_fs "$fs"
	fact cgroup "v$cg"
	fact cgroup_driver "$(docker info --format '{{.CgroupDriver}}')"
	fact cpus "$(nproc)"
	fact memory_mib "$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024))"
	[ "$fs" = cgroup2fs ] || die "/sys/fs/cgroup is $fs, not cgroup2fs"
	[ "$cg" = 2 ] || die "docker info says CgroupVersion $cg, not 2"
}

# A run starts from no lab state: a previous run's hosts and bridge go. Their volumes (each host's
# /var/lib/docker) stay, so the images loaded into the hosts' engines last time are not loaded again
# (under emulation that takes minutes per host); step_hosts clears everything else in them.
# (`npm run test:real-kernel -- --fresh` starts from the built guest image: no volumes at all.)
step_reset() {
	for h in "${HOSTS[@]}"; do docker rm -f "$h" >/dev/null 2>&1 || :; done
	docker network rm "$NET" >/dev/null 2>&1 || :
	run docker ps -a --format '{{.Names}}'
	run docker volume ls --format '{{.Name}}'
}

step_ipvs() {
	run modprobe ip_vs
	[ -d /proc/sys/net/ipv4/vs ] || die "/proc/sys/net/ipv4/vs is missing after modprobe ip_vs"
	fact ip_vs "$(grep -m1 -o 'IP Virtual Server version [0-9.]*' /proc/net/ip_vs 2>/dev/null || lsmod | grep -m1 '^ip_vs')"
	lsmod | grep '^ip_vs'
}

# diagnose_exec <image> <path>: what the engine made of an image whose first process did not start
# ("exec format error"): its platform, the file's entry in the layer the engine unpacked, its first
# bytes (an ELF file starts 7f 45 4c 46), and the storage driver and its backing file system.
diagnose_exec() {
	local image=$1 path=$2 probe=swarmlab-exec-probe
	echo "--- diagnose_exec $image $path" >&2
	docker image inspect -f 'platform {{.Architecture}}/{{.Os}} id {{.Id}}' "$image" >&2
	docker info -f 'driver {{.Driver}} {{json .DriverStatus}} backing {{.DockerRootDir}}' >&2
	df -T /var/lib/docker >&2
	docker rm -f "$probe" >/dev/null 2>&1
	docker create --name "$probe" --entrypoint /nonexistent "$image" >/dev/null 2>&1 || { echo "docker create failed" >&2; return; }
	docker export "$probe" | tar -tvf - "${path#/}" usr/bin/sh bin 2>&1 | head -5 >&2
	docker cp "$probe:$path" - 2>/dev/null | tar -xOf - >/tmp/exec-probe
	od -A d -t x1 -N 16 /tmp/exec-probe >&2
	echo "bytes $(wc -c </tmp/exec-probe)" >&2
	docker inspect -f 'graph: {{.GraphDriver.Data.MergedDir}} {{.GraphDriver.Data.LowerDir}}' "$probe" >&2
	docker rm -f "$probe" >/dev/null 2>&1
	rm -f /tmp/exec-probe
	echo "---" >&2
}

# AppArmor. Debian's kernel (like Ubuntu's, so GitHub's runners) enables it. A host's inner dockerd
# then sees it (the entrypoint mounts securityfs, as hack/dind does) and loads its docker-default
# profile with apparmor_parser before every container; Debian's docker.io 20.10 does not check
# that the parser exists, so without it no container starts inside a host ("AppArmor enabled on
# system but the docker-default profile could not be loaded: ... exec: "apparmor_parser":
# executable file not found in $PATH"). swarmlab/dind now carries Debian's apparmor; for an image
# without apparmor_parser (an older one), unless AS_IS=1, this step derives swarmlab/dind:apparmor from it IN THE GUEST'S ENGINE with Debian's
# apparmor package (/root/apparmor.deb, fetched by real-kernel.mjs on the machine) and the hosts
# run that; the report says which image the hosts ran.
step_apparmor() {
	local enabled parser image=swarmlab/dind:latest
	enabled=$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo absent)
	command -v apparmor_parser >/dev/null || [ "$enabled" != Y ] ||
		die "AppArmor is on in the guest kernel but the guest has no apparmor_parser: its own dockerd cannot start unprivileged containers (the guest image lacks Debian's apparmor package: rebuild it with --rebuild)"
	parser=$(run docker run --rm --network none --entrypoint sh swarmlab/dind:latest -c 'command -v apparmor_parser || :') || {
		diagnose_exec swarmlab/dind:latest /usr/bin/dash
		exit 1
	}
	fact apparmor_kernel "$enabled"
	fact dind_apparmor_parser "${parser:-none}"
	if [ "$enabled" = Y ] && [ -z "$parser" ]; then
		if [ "${AS_IS:-0}" = 1 ]; then
			say "AppArmor is on and swarmlab/dind has no apparmor_parser: running it as it is (--as-is); containers inside the hosts will not start"
		else
			[ -f /root/apparmor.deb ] || die "/root/apparmor.deb is missing (real-kernel.mjs copies it in)"
			mkdir -p /root/dind-apparmor
			cp /root/apparmor.deb /root/dind-apparmor/apparmor.deb
			printf '%s\n' 'FROM swarmlab/dind:latest' 'COPY apparmor.deb /tmp/apparmor.deb' \
				'RUN dpkg -i /tmp/apparmor.deb && rm /tmp/apparmor.deb && command -v apparmor_parser' >/root/dind-apparmor/Dockerfile
			run docker build -q -t swarmlab/dind:apparmor /root/dind-apparmor
			image=swarmlab/dind:apparmor
		fi
	fi
	echo "$image" >/root/host-image
	fact host_image "$image"
}

step_hosts() {
	local image
	image=$(cat /root/host-image 2>/dev/null || echo swarmlab/dind:latest)
	run docker network create --driver bridge --subnet "$SUBNET" "$NET" >/dev/null
	local i
	for i in 0 1 2; do
		run docker run -d --name "${HOSTS[i]}" --hostname "${HOSTS[i]}" \
			--privileged --cgroupns=private \
			--network "$NET" --ip "${ADDR[i]}" \
			-v "${HOSTS[i]}-data:/var/lib/docker" \
			--log-opt max-size=10m \
			"$image" --host=tcp://0.0.0.0:2375 --tls=false >/dev/null
	done
	for h in "${HOSTS[@]}"; do
		if ! wait_for 300 "$h: inner dockerd" docker exec "$h" docker info --format '{{.ServerVersion}}'; then
			docker logs "$h" 2>&1 | tail -20 >&2
			docker exec "$h" tail -30 /var/log/dockerd.log >&2
			exit 1
		fi
	done
	# A kept volume brings the last run's swarm, containers and networks back: clear them.
	# (A restarted manager may refuse to leave while its swarm component starts: retried.)
	for h in "${HOSTS[@]}"; do
		# shellcheck disable=SC2016
		wait_for 180 "$h: out of the last run's swarm" in_host "$h" sh -c 'docker swarm leave --force >/dev/null 2>&1; s=$(docker info --format "{{.Swarm.LocalNodeState}}"); echo "swarm: $s"; [ "$s" = inactive ]' || exit 1
		# shellcheck disable=SC2016
		run in_host "$h" sh -c 'ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids >/dev/null; docker network prune -f >/dev/null; docker volume prune -f >/dev/null; docker info --format "containers={{.Containers}}"'
	done
	# What the entrypoint did: its own cgroup namespace root, processes moved to /init, controllers on.
	local ns ctl inner
	ns=$(in_host docker1 cat /proc/1/cgroup)
	ctl=$(in_host docker1 cat /sys/fs/cgroup/cgroup.subtree_control)
	inner=$(in_host docker1 docker info --format '{{.CgroupVersion}} {{.CgroupDriver}}')
	fact host_pid1_cgroup "$ns"
	fact host_subtree_control "$ctl"
	fact inner_cgroup "$inner"
	fact inner_docker "$(in_host docker1 docker version --format '{{.Server.Version}}')"
	fact host_mounts "$(in_host docker1 sh -c 'for m in /run /tmp; do printf "%s=%s " $m $(stat -fc %T $m); done')"
	[ "$ns" = "0::/init" ] || die "docker1's pid 1 is in cgroup '$ns', not 0::/init (the entrypoint's nesting step)"
	[ -n "$ctl" ] || die "docker1's cgroup.subtree_control is empty: no controllers for nested containers"
	[ "${inner%% *}" = 2 ] || die "docker1's inner engine says CgroupVersion ${inner%% *}"
}

# image_id <host|-> <image>: the image's ID in a host's engine (- for the guest's own).
image_id() {
	if [ "$1" = - ]; then docker image inspect -f '{{.Id}}' "$2" 2>/dev/null; else docker exec "$1" docker image inspect -f '{{.Id}}' "$2" 2>/dev/null; fi
}

# load_into <host> <image>: docker save | docker load, unless the host has that image ID already.
load_into() {
	local want have
	want=$(image_id - "$2") || die "the guest's engine has no $2"
	have=$(image_id "$1" "$2") || :
	if [ "$have" = "$want" ]; then
		say "$1: $2 already there ($want)"
		return 0
	fi
	say "$1: docker save $2 | docker exec -i $1 docker load"
	docker save "$2" | docker exec -i "$1" docker load ||
		die "docker save $2 | docker exec -i $1 docker load failed"
}

# etcd into every host; galera (641 MB: a load takes minutes per host under emulation) only into
# docker3, where step_walkthrough_3306 places its one replica.
step_host_images() {
	for h in "${HOSTS[@]}"; do load_into "$h" swarmlab/etcd:latest; done
	load_into docker3 swarmlab/galera:latest
	# A nested container runs on the nested cgroups, and says where it sits.
	local cg
	cg=$(run in_host docker1 docker run --rm --network none --entrypoint sh swarmlab/etcd:latest -c 'cat /proc/self/cgroup; cat /proc/self/attr/current 2>/dev/null || :') || exit 1
	fact nested_container_cgroup "$(echo "$cg" | head -1)"
	fact nested_container_apparmor "$(echo "$cg" | sed -n 2p)"
}

step_swarm() {
	run in_host docker1 docker swarm init --advertise-addr "${ADDR[0]}" >/dev/null
	local token
	token=$(run in_host docker1 docker swarm join-token -q manager) || exit 1
	for i in 1 2; do
		run in_host "${HOSTS[i]}" docker swarm join --advertise-addr "${ADDR[i]}" --token "$token" "${ADDR[0]}:2377"
	done
	managers() {
		local out
		out=$(docker exec docker1 docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}') || return 1
		echo "$out"
		[ "$(echo "$out" | grep -c ' Ready \(Leader\|Reachable\)$')" = 3 ]
	}
	wait_for 180 "three managers Ready" managers || exit 1
}

step_overlay() {
	run in_host docker1 docker network create --driver overlay mynet >/dev/null
	run in_host docker1 docker network ls --filter name=mynet --format '{{.Name}} {{.Driver}} {{.Scope}}'
}

# (The image sets ETCD_DATA_DIR: etcd refuses a --data-dir flag beside it.)
etcd_args() { echo "--name $1 --listen-client-urls http://0.0.0.0:2379 --advertise-client-urls http://$1:2379"; }

running() {
	local svc=$1 out
	out=$(docker exec docker1 docker service ls --filter "name=$svc" --format '{{.Name}} {{.Replicas}}') || return 1
	echo "$out"
	echo "$out" | grep -q "^$svc 1/1"
}

# wait_service <seconds> <service>: until it runs 1/1; else its tasks' errors and its logs.
wait_service() {
	wait_for "$1" "$2 1/1" running "$2" && return 0
	docker exec docker1 docker service ps --no-trunc --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' "$2" 2>&1 | head -8 >&2
	docker exec docker1 docker service logs --tail 10 "$2" 2>&1 | tail -10 >&2
	return 1
}

# task_container <host> <service>: the id of the service's task container on that host.
task_container() {
	docker exec "$1" docker ps -q --filter "label=com.docker.swarm.service.name=$2" | head -1
}

step_task_to_task() {
	# etcd-a on docker1, etcd-b on docker2, both on mynet.
	# shellcheck disable=SC2046
	run in_host docker1 docker service create --detach --no-resolve-image --name etcd-a --network mynet \
		--constraint node.hostname==docker1 swarmlab/etcd:latest $(etcd_args etcd-a) >/dev/null
	# shellcheck disable=SC2046
	run in_host docker1 docker service create --detach --no-resolve-image --name etcd-b --network mynet \
		--constraint node.hostname==docker2 swarmlab/etcd:latest $(etcd_args etcd-b) >/dev/null
	wait_service 300 etcd-a || exit 1
	wait_service 300 etcd-b || exit 1
	local a b ip
	a=$(task_container docker1 etcd-a)
	b=$(task_container docker2 etcd-b)
	[ -n "$a" ] || die "no task container of etcd-a on docker1"
	[ -n "$b" ] || die "no task container of etcd-b on docker2"
	ip=$(run in_host docker1 docker inspect -f '{{with index .NetworkSettings.Networks "mynet"}}{{.IPAddress}}{{end}}' "$a") || exit 1
	fact etcd_a_task_ip "$ip"
	# From the task on docker2 to the task on docker1: VXLAN between the hosts.
	wait_for 60 "docker2's task -> http://$ip:2379/version (task to task across hosts)" \
		docker exec docker2 docker exec "$b" curl -sS --max-time 5 "http://$ip:2379/version" || exit 1
	# The same through the service's virtual IP on mynet (IPVS inside the task's namespace).
	local vip
	vip=$(run in_host docker1 docker service inspect etcd-a -f '{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}') || exit 1
	fact etcd_a_vips "$vip"
	wait_for 60 "docker2's task -> http://etcd-a:2379/version (the service VIP on mynet)" \
		docker exec docker2 docker exec "$b" curl -sS --max-time 5 "http://etcd-a:2379/version" || exit 1
}

curl_each_host() {
	local port=$1 i out ok=0
	for i in 0 1 2; do
		if out=$(curl -sS --max-time 5 "http://${ADDR[i]}:$port/version" 2>&1); then
			echo "${ADDR[i]}:$port -> $out"
			ok=$((ok + 1))
		else
			echo "${ADDR[i]}:$port -> $out"
		fi
	done
	[ "$ok" = 3 ]
}

step_mesh() {
	# One replica, on docker3: docker1's and docker2's published ports reach it only through the
	# ingress routing mesh (IPVS in each host's ingress-sbox, then VXLAN to docker3).
	# shellcheck disable=SC2046
	run in_host docker1 docker service create --detach --no-resolve-image --name mesh-etcd --replicas 1 \
		-p 8080:2379 --constraint node.hostname==docker3 swarmlab/etcd:latest $(etcd_args mesh-etcd) >/dev/null
	wait_service 300 mesh-etcd || exit 1
	fact mesh_ports "$(docker exec docker1 docker service inspect mesh-etcd -f '{{range .Endpoint.Ports}}{{.PublishMode}}:{{.PublishedPort}}->{{.TargetPort}} {{end}}')"
	fact mesh_task_node "$(docker exec docker1 docker service ps mesh-etcd --filter desired-state=running --format '{{.Node}}')"
	wait_for 120 "http://192.168.10.20{1,2,3}:8080/version from the guest (routing mesh on every host)" curl_each_host 8080 || exit 1
}

# mysql_greeting <addr>: the MySQL protocol's server greeting through <addr>:3306 (the server speaks
# first). MariaDB looks the client's address up before it greets, and the guest has no DNS to ask
# (qemu's restrict=on): the greeting comes after the resolver's timeout, so the read waits 40 s.
mysql_greeting() {
	local out
	out=$(timeout 45 bash -c "exec 3<>/dev/tcp/$1/3306 && timeout 40 head -c 120 <&3 2>/dev/null" 2>&1 | tr -c '[:print:]' '.') || :
	echo "$1:3306 -> ${out:-(nothing)}"
	echo "$out" | grep -q 'MariaDB\|mysql_native_password'
}

mysql_each_host() {
	local ok=0 i
	for i in 0 1 2; do mysql_greeting "${ADDR[i]}" && ok=$((ok + 1)); done
	[ "$ok" = 3 ]
}

step_walkthrough_3306() {
	# The walkthrough's own commands (seed.yaml), its `-p 3306:3306` NOT rewritten, one replica.
	local HostIP=192.168.10.201
	run in_host docker1 docker run -d -p 2379:2379 -p 2380:2380 -p 4001:4001 --name etcd swarmlab/etcd:latest \
		-name etcd1 \
		-advertise-client-urls "http://${HostIP}:2379,http://${HostIP}:4001" \
		-listen-client-urls http://0.0.0.0:2379,http://0.0.0.0:4001 \
		-initial-advertise-peer-urls "http://${HostIP}:2380" \
		-listen-peer-urls http://0.0.0.0:2380 \
		-initial-cluster-token etcd-cluster \
		-initial-cluster "etcd1=http://${HostIP}:2380" \
		-initial-cluster-state new >/dev/null
	wait_for 120 "etcd on docker1 (walkthrough)" curl -sS --max-time 5 "http://${HostIP}:2379/v2/members" || exit 1
	# As the walkthrough wrote it but for one replica, placed on docker3 (the only host given the
	# galera image); docker1's and docker2's :3306 reach it only through the routing mesh.
	run in_host docker1 docker service create --detach --no-resolve-image --name mysql-galera --replicas 1 \
		--constraint node.hostname==docker3 \
		-p 3306:3306 --network mynet \
		--env MYSQL_ROOT_PASSWORD=mypassword \
		--env DISCOVERY_SERVICE=192.168.10.201:2379 \
		--env XTRABACKUP_PASSWORD=mypassword \
		--env CLUSTER_NAME=galera \
		swarmlab/galera:latest >/dev/null
	wait_service 300 mysql-galera || exit 1
	fact galera_ports "$(docker exec docker1 docker service inspect mysql-galera -f '{{range .Endpoint.Ports}}{{.PublishMode}}:{{.PublishedPort}}->{{.TargetPort}} {{end}}')"
	fact galera_task_node "$(docker exec docker1 docker service ps mysql-galera --filter desired-state=running --format '{{.Node}}')"
	if ! wait_for 900 "MySQL greeting through 192.168.10.20{1,2,3}:3306 (routing mesh)" mysql_each_host; then
		local h c
		h=$(docker exec docker1 docker service ps mysql-galera --filter desired-state=running --format '{{.Node}}' | head -1)
		c=$(task_container "$h" mysql-galera)
		[ -z "$c" ] || docker exec "$h" docker logs --tail 30 "$c" >&2
		exit 1
	fi
}

step=${1:?usage: guest-steps.sh <step>}
fn="step_${step//-/_}"
declare -F "$fn" >/dev/null || die "unknown step '$step'"
"$fn"
