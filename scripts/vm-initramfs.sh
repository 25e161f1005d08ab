#!/bin/sh
# Build the VM's first-stage initramfs: busybox plus the handful of modules
# needed to mount the host's root file system over virtio-9p. Everything
# else (nftables, conntrack, python3, our module) comes from the host root.
#
# usage: vm-initramfs.sh KERNEL_RELEASE OUTPUT.cpio.gz
set -eu

release=$1
output=$2
# What mounting the host root needs; their dependencies (from modules.dep)
# come along, and what the kernel has built in (6.12: virtio) is skipped.
wanted="virtio_pci 9pnet_virtio 9p overlay"
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/lib/modules" "$work/proc" "$work/sys" \
	"$work/dev" "$work/lower" "$work/overlay" "$work/newroot"
cp /bin/busybox "$work/bin/busybox"
# 6.12 ships its modules xz-compressed, which busybox insmod cannot read.
loaded=" "
add_module() { # add_module NAME: its dependencies first, then itself
	local line dep path
	case "$loaded" in *" $1 "*) return 0 ;; esac
	line=$(grep -E "/$1\.ko(\.xz)?:" "/lib/modules/$release/modules.dep" || true)
	if [ -z "$line" ]; then
		grep -qE "/$1\.ko\$" "/lib/modules/$release/modules.builtin" && return 0
		echo "vm-initramfs: module $1 not found for $release" >&2
		exit 1
	fi
	for dep in ${line#*:}; do
		add_module "$(basename "${dep%.xz}" .ko)"
	done
	path="/lib/modules/$release/${line%%:*}"
	case "$path" in
	*.xz) xz -dc "$path" >"$work/lib/modules/$1.ko" ;;
	*) cp "$path" "$work/lib/modules/$1.ko" ;;
	esac
	loaded="$loaded$1 "
}
for m in $wanted; do
	add_module "$m"
done
echo "$loaded" | tr -s ' \t\n' '\n' | sed '/^$/d' >"$work/lib/modules/order"
cp "$here/vm-stage1-init" "$work/init"
chmod +x "$work/init"

(cd "$work" && find . | cpio -o -H newc --quiet) | gzip -1 >"$output.tmp"
mv "$output.tmp" "$output"
