#!/bin/bash
# RouterOS-style attachment: with sipalg.ko loaded, new UDP and TCP
# connections to the configured ports (IPv4 through the NAT, IPv6 routed)
# get the "sipalg" helper without any firewall rule, and UDP signalling
# gets sip_timeout; other ports are left alone. Module parameters set the
# initial ports/timeout; bad parameters are refused. Coexists with the
# kernel's own nf_conntrack_sip, and nft can name the helper explicitly.
. "$(dirname "$0")/lib.sh"


# Print "helper timeout" of the router's conntrack entry for a destination port.
ct_entry() {
	local proto=$1 dport=$2 family=${3:-ipv4}
	in_rtr conntrack -L -f "$family" -p "$proto" --dport "$dport" 2>/dev/null |
		awk '{ h = "none"; for (i = 1; i <= NF; i++) if ($i ~ /^helper=/) h = substr($i, 8);
		       print h, $3; exit }'
}

udp_flow() { # udp_flow SRC DST PORT
	in_lan $SIPUA rtp-send --bind "$1:0" --to "$2:$3" --count 1
}

tcp_flow() { # tcp_flow DST PORT: one connection the server accepts
	in_wan $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(5)
print("ready", flush=True); c, _ = s.accept(); c.recv(100)' "$1" "$2" >"$WORK/tcp.log" &
	wait_ready "$WORK/tcp.log"
	in_lan $PY -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.sendall(b"\r\n\r\n")' "$1" "$2"
	wait
}

topology_up
insmod "$ko" || fail "insmod failed"
# Make conntrack's UDP timeouts short and known, to tell sip_timeout apart.
in_rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30 \
	net.netfilter.nf_conntrack_udp_timeout_stream=120

udp_flow $PHONE $SERVER 5060
read -r helper timeout < <(ct_entry udp 5060)
[ "$helper" = sipalg ] || fail "UDP 5060: helper '$helper', want sipalg"
[ "$timeout" -gt 3500 ] || fail "UDP 5060: timeout $timeout, want about 3600 (sip_timeout)"
say "ok: UDP to 5060 through the NAT gets helper sipalg and timeout $timeout"

udp_flow $PHONE $SERVER 5070
read -r helper timeout < <(ct_entry udp 5070)
[ "$helper" = none ] || fail "UDP 5070: helper '$helper', want none"
[ "$timeout" -le 30 ] || fail "UDP 5070: timeout $timeout, want the UDP default"
say "ok: UDP to 5070 (not configured) gets no helper, timeout $timeout"

tcp_flow $SERVER 5061
read -r helper timeout < <(ct_entry tcp 5061)
[ "$helper" = sipalg ] || fail "TCP 5061: helper '$helper', want sipalg"
say "ok: TCP to 5061 gets helper sipalg"

udp_flow $PHONE6 $SERVER6 5060
read -r helper timeout < <(ct_entry udp 5060 ipv6)
[ "$helper" = sipalg ] || fail "IPv6 UDP 5060: helper '$helper', want sipalg"
say "ok: IPv6 UDP to 5060 (routed, no NAT) gets helper sipalg"

# The kernel's helper loads beside ours, and nft can name ours explicitly.
modprobe nf_conntrack_sip || fail "nf_conntrack_sip does not load beside sipalg"
in_rtr nft -f - <<-'NFT' || fail "nft cannot use a ct helper of type sipalg"
table inet explicit {
	ct helper sip { type "sipalg" protocol udp; l3proto inet; }
	chain prerouting {
		type filter hook prerouting priority filter;
		udp dport 5080 ct helper set "sip"
	}
}
NFT
udp_flow $PHONE $SERVER 5080
read -r helper timeout < <(ct_entry udp 5080)
[ "$helper" = sipalg ] || fail "nft ct helper: helper '$helper', want sipalg"
say "ok: nf_conntrack_sip loads alongside; nft 'ct helper' of type sipalg works"
in_rtr nft delete table inet explicit
rmmod nf_conntrack_sip

rmmod sipalg || fail "rmmod failed"
in_rtr conntrack -F 2>/dev/null

insmod "$ko" ports=5070 sip_timeout=600 || fail "insmod with parameters failed"
udp_flow $PHONE $SERVER 5070
read -r helper timeout < <(ct_entry udp 5070)
if [ "$helper" != sipalg ] || [ "$timeout" -lt 590 ] || [ "$timeout" -gt 600 ]; then
	fail "ports=5070 sip_timeout=600: got helper '$helper' timeout $timeout"
fi
say "ok: insmod ports=5070 sip_timeout=600: UDP 5070 gets sipalg, timeout $timeout"
udp_flow $PHONE $SERVER 5060
read -r helper timeout < <(ct_entry udp 5060)
[ "$helper" = none ] || fail "ports=5070: UDP 5060 still gets '$helper'"
say "ok: ports=5070: UDP 5060 gets no helper"
rmmod sipalg

for bad in "ports=0" "ports=5060,5060" "sip_timeout=5" "sip_timeout=100000" \
	"ports=1,2,3,4,5,6,7,8,9"; do
	if insmod "$ko" $bad 2>/dev/null; then
		rmmod sipalg
		fail "insmod $bad was accepted"
	fi
done
say "ok: bad parameters are refused (ports=0, duplicates, 9 ports, timeouts out of range)"
