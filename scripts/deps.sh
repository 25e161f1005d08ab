#!/bin/sh
# Install exactly the Debian packages sipalg's build, tests, packaging and
# demo need that are not installed yet, and a Debian 12 6.12 kernel (image
# and headers) beside 6.1 unless one is there. Idempotent; silent when
# everything is there.
set -eu

packages="
	linux-image-amd64 linux-headers-amd64 dwarves xz-utils
	build-essential g++ make kmod
	dkms dh-dkms debhelper lintian fakeroot
	qemu-system-x86 busybox-static cpio
	nftables conntrack conntrackd iproute2 tcpdump ethtool python3
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

# The second kernel make check tests on (scripts/kernels.sh all).
have_612=$(ls -d /lib/modules/6.12.*+deb12-amd64/build 2>/dev/null | head -n 1)
[ -z "$missing" ] && [ -n "$have_612" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# kamailio and conntrackd are for the VM tests only: neither may start
# (or be enabled to start at boot) on this host, as a SIP server or as a
# daemon syncing this host's conntrack table. policy-rc.d saying 101
# keeps the packages' services from starting while they install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
if [ -z "$have_612" ]; then
	# The newest 6.12 release whose image and headers can both be installed.
	for v in $(apt-cache pkgnames linux-headers-6.12. | sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -rV); do
		# (apt-cache show succeeds for a name that is only referenced:
		# the signed image can lag behind its headers for days.)
		if apt-cache policy "linux-image-$v" | grep -q 'Candidate: [0-9]'; then
			missing="$missing linux-image-$v linux-headers-$v"
			echo "deps: adding kernel $v (Debian 12's 6.12) for the VM tests"
			break
		fi
	done
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# (systemctl disable also works on a host not booted with systemd: it only
# edits the unit links; conntrackd's sysvinit script is disabled too.)
for service in kamailio conntrackd; do
	case "$missing " in
	*" $service "*)
		if command -v systemctl >/dev/null 2>&1; then
			systemctl disable "$service.service" >/dev/null 2>&1 || true
		fi
		if [ -x "/etc/init.d/$service" ] && command -v update-rc.d >/dev/null 2>&1; then
			update-rc.d "$service" disable >/dev/null 2>&1 || true
		fi
		;;
	esac
done
