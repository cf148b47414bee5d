#!/bin/sh
# Starts the host's own dockerd. On cgroup v2 (the --privileged path) the container's processes
# move to a child cgroup first so nested containers can be created, as docker's own dind does.
set -eu
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || :
fi
# A host that was stopped or killed keeps its file system: stale pid files would stop dockerd.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
mkdir -p /var/log
exec dockerd --host=unix:///var/run/docker.sock "$@" >>/var/log/dockerd.log 2>&1
