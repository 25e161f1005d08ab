#!/bin/sh
# Print the release of the newest installed Debian kernel that has both an
# image in /boot and a build directory (headers) in /lib/modules. The module,
# the VM and the initramfs all use this one release.
set -eu
for build in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	release=$(basename "$(dirname "$build")")
	if [ -f "/boot/vmlinuz-$release" ]; then
		echo "$release"
		exit 0
	fi
done
echo "vm-kernel: no kernel with both /boot/vmlinuz-* and headers; run scripts/deps.sh" >&2
exit 1
