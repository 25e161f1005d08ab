#!/bin/sh
# Which kernels sipalg is built for and tested on. The newest kernel
# installed is deliberately not the default: installing a second kernel
# must not silently change what `make` builds or what the VM boots.
#
#   kernels.sh default   Debian 12's kernel: the release that the
#                        linux-image-amd64 metapackage depends on (6.1)
#   kernels.sh all       every release to test: the default, then the
#                        newest installed Debian 12 6.12 kernel (if any)
#   kernels.sh check R   exit 0 if release R has an image and headers
#
# A release qualifies only with both /boot/vmlinuz-R (the VM boots it) and
# /lib/modules/R/build (the module builds against it).
set -eu

usable() {
	[ -f "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1/build" ]
}

default_release() {
	depends=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null || true)
	release=$(echo "$depends" | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
	if [ -n "$release" ] && usable "$release"; then
		echo "$release"
		return 0
	fi
	echo "kernels: linux-image-amd64 (Debian 12's kernel) and its headers are not installed;" \
		"run scripts/deps.sh or name one with KVER=" >&2
	return 1
}

# Debian 12 carries 6.12 kernels named 6.12.N+deb12-amd64; take the newest
# one that has headers too.
newest_612() {
	for build in $(ls -d /lib/modules/6.12.*+deb12-amd64/build 2>/dev/null | sort -rV); do
		release=$(basename "$(dirname "$build")")
		if usable "$release"; then
			echo "$release"
			return 0
		fi
	done
}

case "${1:-}" in
default) default_release ;;
all)
	default_release
	newest_612
	;;
check)
	[ $# -eq 2 ] || { echo "usage: kernels.sh check RELEASE" >&2; exit 2; }
	usable "$2" || {
		echo "kernels: $2 lacks /boot/vmlinuz-$2 or /lib/modules/$2/build; installed:" \
			"$(ls /lib/modules | tr '\n' ' ')" >&2
		exit 1
	}
	;;
*)
	echo "usage: kernels.sh default|all|check RELEASE" >&2
	exit 2
	;;
esac
