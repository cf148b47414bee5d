#!/bin/sh
# Starts the host's own dockerd.
#
# cgroup v2 (the lab runs hosts --privileged there, in a cgroup namespace of their own): first do
# what docker's own dind entrypoint does before it starts dockerd: moby/moby hack/dind, quoted by
# line number at commit b985e2313a8676e18072b442911fc8f64f17d440 (2026-08-23). Two steps are the
# lab's own and say so: /run as a tmpfs too, and the refusal to nest in the machine's cgroup tree.
#
# cgroup v1 (the capability recipe, the machine's /sys/fs/cgroup bound rw): none of that runs;
# straight to dockerd, as before.
set -eu

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	# hack/dind 13-20: "apparmor sucks and Docker needs to know that it's in a container":
	#   export container=docker
	# On a kernel with AppArmor on (Debian's, Ubuntu's: GitHub's runners) dockerd loads its
	# docker-default profile before each container with apparmor_parser, which the image carries
	# (Debian's apparmor package; without it every `docker run` in a host failed in the real-kernel proof).
	export container=docker

	# hack/dind 47-52: mount securityfs so AppArmor can be detected ("we're running privileged
	# already").
	if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
		mount -t securityfs none /sys/kernel/security || {
			echo >&2 'Could not mount /sys/kernel/security.'
			echo >&2 'AppArmor detection and --privileged mode might break.'
		}
	fi

	# hack/dind 54-59: "Mount /tmp (conditionally)": /tmp must be exec, rw and dev.
	if ! mountpoint -q /tmp; then
		mount -t tmpfs none /tmp
	fi

	# Not in hack/dind (the lab's own): /run as a tmpfs too, as the privileged dind checked by hand
	# on a cgroup v2 kernel ran (tmpfs /run and /tmp). A host that was stopped or killed keeps its
	# file system; a fresh /run drops the last dockerd's and containerd's pid files, sockets and
	# network-namespace handles. (/var/run is a link to /run in Debian.)
	if ! mountpoint -q /run; then
		mount -t tmpfs -o mode=755 none /run
	fi

	# Not in hack/dind (the lab's own): the steps below move every process of the cgroup root into
	# a child and enable every controller there. That is right only in a cgroup namespace of this
	# container's own, where this shell starts at the root ("0::/"). In the machine's namespace
	# (an engine whose default-cgroupns-mode is host) /sys/fs/cgroup is the machine's whole tree.
	own_cgroup=$(cat /proc/self/cgroup)
	if [ "$own_cgroup" != "0::/" ]; then
		echo >&2 "host-entrypoint: this container shares the machine's cgroup namespace (/proc/self/cgroup: $own_cgroup)."
		echo >&2 'host-entrypoint: nested cgroups need one of its own: create it with --cgroupns=private (HostConfig.CgroupnsMode=private).'
		exit 1
	fi

	# hack/dind 61-79: "cgroup v2: enable nesting". Move the processes from the root group to
	# /init, "otherwise writing subtree_control fails with EBUSY"; "an error during moving
	# non-existent process (i.e., "cat") is ignored". In a loop, "because things like "docker exec"
	# on our dind container will create new processes, which creates a race between our moving
	# everything to "init" and enabling subtree_control". hack/dind retries without end
	# (`do true; done`); here the retries stop after 50 tries, 0.1 s apart, with a message, so a
	# host that cannot nest fails where the lab can see why.
	mkdir -p /sys/fs/cgroup/init
	tries=0
	while ! {
		xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs || :
		sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers \
			>/sys/fs/cgroup/cgroup.subtree_control
	}; do
		tries=$((tries + 1))
		if [ "$tries" -ge 50 ]; then
			echo >&2 "host-entrypoint: could not enable the cgroup controllers ($(cat /sys/fs/cgroup/cgroup.controllers)) for nested containers after $tries tries."
			exit 1
		fi
		sleep 0.1
	done

	# hack/dind 81-83: "Change mount propagation to shared to make the environment more similar
	# to a modern Linux system, e.g. with SystemD as PID 1."
	mount --make-rshared /
fi

# A host that was stopped or killed keeps its file system: stale pid files would stop dockerd.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
mkdir -p /var/log
exec dockerd --host=unix:///var/run/docker.sock "$@" >>/var/log/dockerd.log 2>&1
