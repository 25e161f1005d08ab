#!/bin/sh
# Install exactly the Debian packages sipalg's build, tests and demo need
# that are not installed yet. Idempotent; silent when everything is there.
set -eu

packages="
	linux-image-amd64 linux-headers-amd64
	build-essential g++ make kmod
	qemu-system-x86 busybox-static cpio
	nftables conntrack iproute2 tcpdump python3
	kamailio baresip-core
	libnl-3-dev libnl-genl-3-dev libcli11-dev nlohmann-json3-dev catch2 pkg-config
	libcap2-bin
	clang libclang-rt-14-dev clang-format linux-source
"

missing=""
for pkg in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# kamailio is for the VM tests only: it must not start (or be enabled to
# start at boot) as a SIP server on this host. policy-rc.d saying 101
# keeps the packages' services from starting while they install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
case "$missing" in
*" kamailio"*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable kamailio.service >/dev/null 2>&1 || true
	fi
	;;
esac
