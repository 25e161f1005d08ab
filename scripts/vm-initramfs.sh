#!/bin/sh
# Build the VM's first-stage initramfs: busybox plus the handful of modules
# needed to mount the host's root file system over virtio-9p. Everything
# else (nftables, conntrack, python3, our module) comes from the host root.
#
# usage: vm-initramfs.sh KERNEL_RELEASE OUTPUT.cpio.gz
set -eu

release=$1
output=$2
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay"
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/lib/modules" "$work/proc" "$work/sys" \
	"$work/dev" "$work/lower" "$work/overlay" "$work/newroot"
cp /bin/busybox "$work/bin/busybox"
for m in $modules; do
	path=$(find "/lib/modules/$release/kernel" -name "$m.ko" | head -n 1)
	[ -n "$path" ] || { echo "vm-initramfs: module $m.ko not found for $release" >&2; exit 1; }
	cp "$path" "$work/lib/modules/"
done
echo "$modules" | tr -s ' \t\n' '\n' | sed '/^$/d' >"$work/lib/modules/order"
cp "$here/vm-stage1-init" "$work/init"
chmod +x "$work/init"

(cd "$work" && find . | cpio -o -H newc --quiet) | gzip -1 >"$output.tmp"
mv "$output.tmp" "$output"
