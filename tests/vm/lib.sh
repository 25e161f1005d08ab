# shellcheck shell=bash
# Shared helpers for the VM tests: the lan -> rtr -> wan topology, helper
# selection and small assertions. Sourced by every tests/vm/t-*.sh script.
#
#   lan  phone 192.168.0.10/24, 2001:db8:1::10/64
#    |   (veth lan0 <-> rtr-lan)
#   rtr  192.168.0.1/24 + 2001:db8:1::1/64  |  203.0.113.1/24 + 2001:db8:2::1/64
#    |   IPv4 masquerade to 203.0.113.1; IPv6 routed, no NAT;
#    |   forward policy drop except lan->wan and ct established,related
#   wan  server 203.0.113.10/24, 2001:db8:2::10/64
#        (veth wan0 <-> rtr-wan)
#
# Only private and TEST-NET addresses are used, and the VM has no NIC.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$VM_DIR/../.." && pwd)
SIPUA="/usr/bin/python3 $VM_DIR/sipua.py"

PHONE=192.168.0.10
PHONE6=2001:db8:1::10
ROUTER_LAN=192.168.0.1
ROUTER_WAN=203.0.113.1
SERVER=203.0.113.10
SERVER6=2001:db8:2::10

WORK=$(mktemp -d /tmp/sipalg-test.XXXXXX)

say() { printf '  %s\n' "$*"; }
fail() {
	printf '  FAIL: %s\n' "$*"
	exit 1
}

in_lan() { ip netns exec lan "$@"; }
in_rtr() { ip netns exec rtr "$@"; }
in_wan() { ip netns exec wan "$@"; }

topology_up() {
	topology_down
	ip netns add lan
	ip netns add rtr
	ip netns add wan
	ip link add lan0 netns lan type veth peer name rtr-lan netns rtr
	ip link add wan0 netns wan type veth peer name rtr-wan netns rtr

	local ns
	for ns in lan rtr wan; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done

	ip -n lan addr add $PHONE/24 dev lan0
	ip -n lan addr add $PHONE6/64 dev lan0 nodad
	ip -n lan link set lan0 up
	ip -n lan route add default via $ROUTER_LAN
	ip -n lan -6 route add default via 2001:db8:1::1

	ip -n wan addr add $SERVER/24 dev wan0
	ip -n wan addr add $SERVER6/64 dev wan0 nodad
	ip -n wan link set wan0 up
	# The server has no route to the LAN: replies can only get there
	# through the router's NAT, and new flows only through a pinhole
	# (a route exists for IPv6, where the firewall alone must stop them).
	ip -n wan -6 route add 2001:db8:1::/64 via 2001:db8:2::1

	ip -n rtr addr add $ROUTER_LAN/24 dev rtr-lan
	ip -n rtr addr add 2001:db8:1::1/64 dev rtr-lan nodad
	ip -n rtr addr add $ROUTER_WAN/24 dev rtr-wan
	ip -n rtr addr add 2001:db8:2::1/64 dev rtr-wan nodad
	ip -n rtr link set rtr-lan up
	ip -n rtr link set rtr-wan up
	in_rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	in_rtr nft -f - <<-'NFT'
	table inet nat_router {
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			iifname "rtr-lan" oifname "rtr-wan" accept
			counter comment "dropped"
		}
		chain postrouting {
			type nat hook postrouting priority srcnat;
			oifname "rtr-wan" ip saddr 192.168.0.0/24 masquerade
		}
	}
	NFT
}

topology_down() {
	local ns
	for ns in lan rtr wan; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

# Attach the kernel's own SIP helper (nf_conntrack_sip + nf_nat_sip) to
# SIP on port 5060 with an nft ct helper rule, the documented way.
use_kernel_helper() {
	modprobe nf_conntrack_sip
	modprobe nf_nat_sip
	in_rtr nft -f - <<-'NFT'
	table inet kernel_sip {
		ct helper sip_udp { type "sip" protocol udp; l3proto inet; }
		ct helper sip_tcp { type "sip" protocol tcp; l3proto inet; }
		chain prerouting {
			type filter hook prerouting priority filter;
			udp dport 5060 ct helper set "sip_udp"
			tcp dport 5060 ct helper set "sip_tcp"
		}
	}
	NFT
}

# Start a background server in the wan namespace and wait until it listens.
serve_in_wan() {
	local log=$1
	shift
	in_wan $SIPUA serve "$@" >"$log" 2>&1 &
	local i
	for i in $(seq 50); do
		grep -q ready "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "server did not start: $(cat "$log")"
}

# Assert that FILE contains (or with !, does not contain) a fixed string.
expect_in() {
	local file=$1 text=$2 what=$3
	grep -qF -- "$text" "$file" || fail "$what: '$text' not found in $(basename "$file"):
$(sed 's/^/    | /' "$file")"
	say "ok: $what"
}
expect_not_in() {
	local file=$1 text=$2 what=$3
	if grep -qF -- "$text" "$file"; then
		fail "$what: '$text' unexpectedly found in $(basename "$file"):
$(sed 's/^/    | /' "$file")"
	fi
	say "ok: $what"
}

cleanup() {
	local status=$?
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	topology_down
	rm -rf "$WORK"
	exit $status
}
trap cleanup EXIT
