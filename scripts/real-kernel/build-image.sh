#!/bin/bash
# Builds (once) the guest image for `npm run test:real-kernel`: a Debian root file system made with
# debootstrap on this machine (packages preinstalled natively: apt inside a guest under qemu's
# software emulation takes minutes per package), written to a sparse raw ext4 image with
# `mkfs.ext4 -d`, plus the kernel and initrd from its /boot for qemu's -kernel/-initrd.
#
#   build-image.sh <release> <dir> <ssh-public-key-file>
#
# <dir> gets disk.raw, vmlinuz, initrd.img and stamp (written last: no stamp, no image).
# Run as root (debootstrap, chroot). Needs debootstrap and e2fsprogs (mkfs.ext4 -d: 1.43 or later).
set -euo pipefail

# Bump when the recipe below changes: a cached image with another recipe is rebuilt.
RECIPE=4
MIRROR=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SIZE=${SWARMLAB_GUEST_DISK:-6G}

release=${1:?usage: build-image.sh <release> <dir> <ssh-public-key-file>}
dir=${2:?usage: build-image.sh <release> <dir> <ssh-public-key-file>}
pubkey=${3:?usage: build-image.sh <release> <dir> <ssh-public-key-file>}

want="release=$release recipe=$RECIPE size=$SIZE"
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] && [ -f "$dir/disk.raw" ]; then
	echo "cached: $dir ($want)"
	exit 0
fi

case "$release" in
bookworm) docker_pkgs=docker.io ;;          # 20.10, CLI included
trixie) docker_pkgs=docker.io,docker-cli ;; # 26.1, the `docker` command is in docker-cli
*) echo "build-image: unknown release '$release' (bookworm or trixie)" >&2; exit 2 ;;
esac

for tool in debootstrap mkfs.ext4 chroot; do
	command -v "$tool" >/dev/null || { echo "build-image: $tool is missing: apt-get install debootstrap e2fsprogs" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "build-image: debootstrap needs root" >&2; exit 2; }

mkdir -p "$dir"
root="$dir/rootfs"
rm -rf "$root" "$dir/stamp" "$dir/disk.raw.tmp"
mounted=()
cleanup() {
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || :; done
	rm -rf "$root"
}
trap cleanup EXIT

echo "== debootstrap $release ($MIRROR)"
# minbase + what the guest needs: systemd as init, Debian's kernel, docker, sshd, curl for the
# checks. --include resolves dependencies (not Recommends). apparmor is one of docker.io's
# Recommends, and needed: Debian's kernel has AppArmor on, and dockerd then loads its
# docker-default profile with apparmor_parser before every unprivileged container.
debootstrap --variant=minbase \
	--include="systemd-sysv,systemd,udev,dbus,linux-image-amd64,initramfs-tools,$docker_pkgs,apparmor,iptables,openssh-server,kmod,ca-certificates,iproute2,curl,procps" \
	"$release" "$root" "$MIRROR"

echo "== configure"
echo "swarmlab-guest" >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tswarmlab-guest\n' >"$root/etc/hosts"
printf '/dev/vda\t/\text4\trw,relatime,errors=remount-ro\t0\t1\n' >"$root/etc/fstab"
# qemu's user network (slirp): the guest is 10.0.2.15, the gateway 10.0.2.2, its DNS 10.0.2.3.
# A static address (the kernel is booted with net.ifnames=0, so the NIC is eth0): no DHCP client,
# the same on every release.
cat >"$root/etc/systemd/system/swarmlab-net.service" <<'EOF'
[Unit]
Description=Static address on qemu's user network
BindsTo=sys-subsystem-net-devices-eth0.device
After=sys-subsystem-net-devices-eth0.device
Before=network.target ssh.service
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link set lo up
ExecStart=/sbin/ip link set eth0 up
ExecStart=/sbin/ip addr replace 10.0.2.15/24 dev eth0
ExecStart=/sbin/ip route replace default via 10.0.2.2

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/swarmlab-net.service "$root/etc/systemd/system/multi-user.target.wants/swarmlab-net.service"
rm -f "$root/etc/resolv.conf"
echo "nameserver 10.0.2.3" >"$root/etc/resolv.conf"

# root logs in with the key only (no password is set at all).
install -d -m 700 "$root/root/.ssh"
install -m 600 "$pubkey" "$root/root/.ssh/authorized_keys"
mkdir -p "$root/etc/ssh/sshd_config.d"
printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' >"$root/etc/ssh/sshd_config.d/swarmlab.conf"

# Timers that would only cost CPU in an emulated guest.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# The initrd finds /dev/vda (virtio_blk: MODULES=most) and waits for no resume device.
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo "RESUME=none" >"$root/etc/initramfs-tools/conf.d/resume"
for m in proc sys dev; do
	mount --bind "/$m" "$root/$m"
	mounted+=("$root/$m")
done
chroot "$root" update-initramfs -u -k all
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}"; done
mounted=()
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)
cp "$kernel" "$dir/vmlinuz"
cp "$initrd" "$dir/initrd.img"

echo "== mkfs.ext4 -d ($SIZE, sparse)"
rm -f "$dir/disk.raw"
truncate -s "$SIZE" "$dir/disk.raw.tmp"
mkfs.ext4 -q -F -L swarmlab-root -d "$root" "$dir/disk.raw.tmp"
mv "$dir/disk.raw.tmp" "$dir/disk.raw"
# The run state (an overlay on disk.raw) belongs to the old image.
rm -f "$dir/state.qcow2"
echo "$want" >"$dir/stamp"
echo "built: $dir/disk.raw ($(du -h "$dir/disk.raw" | cut -f1) used of $SIZE), kernel $(basename "$kernel")"
