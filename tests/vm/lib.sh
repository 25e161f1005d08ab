# shellcheck shell=bash
# Shared helpers for the VM tests: the lan -> rtr -> wan topology, helper
# selection and small assertions. Sourced by every tests/vm/t-*.sh script.
#
#   lan  phones 192.168.0.10/24 and .11, a PBX .20, 2001:db8:1::10/64
#    |   (veth lan0 <-> rtr-lan)
#   rtr  192.168.0.1/24 + 2001:db8:1::1/64  |  203.0.113.1/24 + 2001:db8:2::1/64
#    |   IPv4 masquerade to 203.0.113.1; IPv6 routed, no NAT;
#    |   forward policy drop except lan->wan and ct established,related
#   wan  server 203.0.113.10/24, another host 203.0.113.20, 2001:db8:2::10/64
#        (veth wan0 <-> rtr-wan)
#
# Only private and TEST-NET addresses are used, and the VM has no NIC.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$VM_DIR/../.." && pwd)
# -S: no site module (only the standard library is used): under the VM's
# emulation each Python start costs a few tenths of a second, and the
# tests start hundreds.
PY="/usr/bin/python3 -S"
SIPUA="$PY $VM_DIR/sipua.py"
# The module built for the kernel this VM booted (make module KVER=...).
ko="$TOP/build/kmod/$(uname -r)/sipalg.ko"

PHONE=192.168.0.10
PHONE2=192.168.0.11
PBX=192.168.0.20
PHONE6=2001:db8:1::10
ROUTER_LAN=192.168.0.1
ROUTER_WAN=203.0.113.1
SERVER=203.0.113.10
PEER=203.0.113.20
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
	ip -n lan addr add $PHONE2/24 dev lan0
	ip -n lan addr add $PBX/24 dev lan0
	ip -n lan addr add $PHONE6/64 dev lan0 nodad
	ip -n lan link set lan0 up
	ip -n lan route add default via $ROUTER_LAN
	ip -n lan -6 route add default via 2001:db8:1::1

	ip -n wan addr add $SERVER/24 dev wan0
	ip -n wan addr add $PEER/24 dev wan0
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
		# Its processes first (a background in_wan is a subshell, which
		# a kill of its job does not pass on): a namespace lives on, with
		# its conntracks and rules, while one is in it.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
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

# From the kernel's helper to sipalg in the same network: the helper's
# rule gone, its connections flushed, sipalg loaded.
kernel_helper_to_sipalg() {
	in_rtr nft delete table inet kernel_sip
	in_rtr conntrack -F 2>/dev/null
	insmod "$ko" || fail "insmod failed"
}

# Start a background SIP server in a namespace and wait until it listens.
serve_in() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" $SIPUA serve "$@" >"$log" 2>&1 &
	wait_ready "$log"
}

# Wait until a background sipua (serve, rtp-recv) has bound its socket.
wait_ready() {
	local i
	for i in $(seq 100); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$(basename "$1"): the receiver did not start: $(cat "$1")"
}
serve_in_wan() { serve_in wan "$@"; }

# A phone in the LAN for a test that asks whether one message from the WAN
# gets in. It has no deadline of its own: on a busy host the sender may
# take seconds to start, and would then find a phone that had given up.
# receive_one DIR SERVE-ARGS... starts it (the message goes to
# DIR/lan/000.sip); once the sender has its answer or has given up,
# received DIR stops the phone and says whether the message came.
receive_one() {
	local dir=$1
	shift
	serve_in lan "$dir/phone.log" --count 1 --timeout 600 --save-dir "$dir/lan" "$@"
	RECEIVER=$!
}
received() {
	kill "$RECEIVER" 2>/dev/null
	wait "$RECEIVER" 2>/dev/null
	[ -f "$1/lan/000.sip" ]
}

CALL_VALUES=(--set server=$SERVER --set phone=$PHONE --set sip_port=5060
	--set rtp_port=40000 --set server_rtp_port=50000)

# offloads_off [FEATURE off...]: no TSO on any veth (a sender's stack then
# cuts its writes in software and each segment crosses the veth on its
# own; the router's WAN veth cuts a joined GSO packet), no GRO (the router
# sees the segments as they were sent), and whatever else is named.
offloads_off() {
	local ns_dev
	for ns_dev in lan:lan0 wan:wan0 rtr:rtr-lan rtr:rtr-wan; do
		ip netns exec "${ns_dev%%:*}" ethtool -K "${ns_dev#*:}" tso off gro off "$@" >/dev/null ||
			fail "ethtool -K ${ns_dev#*:} tso off gro off $* failed"
	done
}

# short_phone_net ADDRESS: the phone also has ADDRESS, on a second LAN
# prefix, 10.0.0.0/24 (the router 10.0.0.1), masqueraded as the first:
# an address shorter than the router's public one, so that every rewrite
# of it grows the message.
short_phone_net() {
	ip -n lan addr add "$1"/24 dev lan0 &&
		ip -n rtr addr add 10.0.0.1/24 dev rtr-lan &&
		in_rtr nft add rule inet nat_router postrouting oifname rtr-wan ip saddr 10.0.0.0/24 masquerade ||
		fail "the second LAN prefix for $1 failed"
}

# router_rps_cpus MASK: the router's receive on both its veths handled by
# the CPUs in MASK (RPS), each connection by one of them chosen by its
# hash, as a NIC's receive queue (RSS) keeps a connection on one CPU; 0:
# by whichever CPU sent the packet again (a veth's default). A sender's
# TCP sends from more than one CPU (its writes, and the ACKs that open its
# window), so on a veth two CPUs would take turns with one connection's
# packets, later ones passing the router's hooks before earlier ones.
router_rps_cpus() {
	local dev
	for dev in rtr-lan rtr-wan; do
		in_rtr sh -c "echo $1 >/sys/class/net/$dev/queues/rx-0/rps_cpus" ||
			fail "cannot set $dev's receive CPUs (RPS) to $1"
	done
}

# SIP over TCP with messages cut into segments (t-sipalg-tcp-split,
# t-sipalg-tcp-reorder):
#
# tcp_split_reply DIR PORT RTP: an INVITE from the phone's PORT (audio on
# RTP); the server's TCP_MAXSEG 172 (160 bytes a segment) cuts its
# ~470-byte 200 OK into 3. Saved in DIR.
tcp_split_reply() {
	local dir=$1 port=$2 rtp=$3
	local values=("${CALL_VALUES[@]}" --set transport=TCP --set rtp_port="$rtp")
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --tcp --mss 172 --bind $SERVER:5060 --count 1 \
		--save-dir "$dir/wan" --answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	in_lan $SIPUA send --tcp --bind $PHONE:"$port" --to $SERVER:5060 --save "$dir/lan.sip" \
		--reply-save "$dir/lan-reply.sip" "${values[@]}" "$VM_DIR/msgs/invite.sip" \
		>/dev/null || fail "$dir: the phone got no reply"
	wait || fail "$dir: the server did not get the INVITE: $(cat "$dir/server.log")"
}

# tcp_invite6 DIR PORT: invite6.sip over TCP from [PHONE6]:PORT, cut into
# 3 segments. Saved in DIR.
tcp_invite6() {
	local dir=$1 port=$2
	local values=(--set phone="$PHONE6" --set server="$SERVER6" --set transport=TCP)
	mkdir -p "$dir"
	sed 's/SIP\/2.0\/UDP/SIP\/2.0\/{transport}/' "$VM_DIR/msgs/invite6.sip" >"$dir/invite6-tcp.sip"
	serve_in_wan "$dir/server.log" --tcp --bind "[$SERVER6]:5060" --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer6.sdp" --set server="[$SERVER6]" \
		--set answer_addr=$SERVER6 --set answer_port=50000
	in_lan $SIPUA send --tcp --segments 3 --bind "[$PHONE6]:$port" \
		--to "[$SERVER6]:5060" --save "$dir/lan.sip" --reply-save "$dir/lan-reply.sip" \
		"${values[@]}" "$dir/invite6-tcp.sip" >/dev/null || fail "$dir: no reply to the IPv6 INVITE"
	wait || fail "$dir: the server did not get the IPv6 INVITE: $(cat "$dir/server.log")"
}

# The basic scenario: the phone sends REGISTER, then INVITE with SDP, to
# the server, which answers 200 OK (with SDP to the INVITE). Saved in DIR:
# lan-*.sip as the phone sent them and got the replies, wan/NNN.sip as the
# server received them and wan/NNN-reply.sip as it answered.
register_and_invite() {
	local dir=$1
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --bind $SERVER:5060 --count 2 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$dir/lan-register.sip" \
		--reply-save "$dir/lan-register-reply.sip" "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$dir/lan-invite.sip" \
		--reply-save "$dir/lan-invite-reply.sip" "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/invite.sip" >/dev/null || fail "INVITE got no reply"
	wait
}

# A whole call that only waits for its own processes (other traffic may run
# in the background): REGISTER and INVITE from the phone, answered by the
# server, then RTP from the server to the public port the rewritten SDP
# names (another one when a pinhole already holds 40000). Each call's RTP
# comes from another server port: when the public port changes while the
# conntrack of an earlier call's RTP (server:50000 -> phone:40000) still
# lives, the new flow would translate to the same tuple and the router
# would give it another source port, which the check below would not find.
# Fails the test if any step does not work.
# call_and_media DIR
CALL_SEQ=0
call_and_media() {
	local dir=$1 srv port from=$((50000 + 2 * (CALL_SEQ % 1000)))
	CALL_SEQ=$((CALL_SEQ + 1))
	mkdir -p "$dir"
	in_wan $SIPUA serve --bind $SERVER:5060 --count 2 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}" >"$dir/server.log" 2>&1 &
	srv=$!
	wait_ready "$dir/server.log"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply ($dir)"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/invite.sip" >/dev/null || fail "INVITE got no reply ($dir)"
	wait "$srv" || fail "the server did not get REGISTER and INVITE ($dir): $(cat "$dir/server.log")"
	grep -q "^c=IN IP4 $ROUTER_WAN" "$dir/wan/001.sip" || fail "INVITE not rewritten ($dir):
$(sed 's/^/    | /' "$dir/wan/001.sip")"
	port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$dir/wan/001.sip" | tr -d '\r')
	rtp_through lan "$dir/rtp.log" $PHONE:40000 wan "$SERVER:$from" "$ROUTER_WAN:$port" >/dev/null
	grep -q "received 20 from $SERVER:$from" "$dir/rtp.log" ||
		fail "RTP to public port $port did not reach the phone ($dir): $(cat "$dir/rtp.log")"
}

# slab_objects CACHE [MAX]: objects of the slab cache CACHE in use. SLUB
# counts the free objects of per-CPU slabs as used, so they are flushed
# first (shrink), and conntracks and expectations are freed after an RCU
# grace period, so this waits (up to about 5 s) for the figure to come down
# to MAX when given. Needs the VM's slab_nomerge (scripts/vm-run.sh):
# merged, a cache has no line of its own.
slab_objects() {
	local cache=$1 want=${2:-} n _
	for _ in $(seq 20); do
		echo 1 >"/sys/kernel/slab/$cache/shrink" 2>/dev/null
		n=$(awk -v c="$cache" '$1 == c { print $2 }' /proc/slabinfo)
		[ -n "$n" ] || fail "no $cache line in /proc/slabinfo (slab_nomerge missing?)"
		{ [ -z "$want" ] || [ "$n" -le "$want" ]; } && break
		sleep 0.25
	done
	echo "$n"
}
expect_slab_objects() { slab_objects nf_conntrack_expect "$@"; }

# ledger_emptied SLAB0: after the test's flows, nothing of sipalg's is
# left: no expectation once conntrack is flushed, no ledger entry or host
# (within 10 s), no kernel complaint; the module unloads with its caches
# empty and nf_conntrack_expect back to SLAB0 objects.
ledger_emptied() {
	local slab0=$1 pinholes hosts slab _
	in_rtr conntrack -F >/dev/null 2>&1
	[ -z "$(expectations)" ] || fail "pinholes left after conntrack -F: $(expectations | head -3)"
	for _ in $(seq 20); do
		read -r pinholes hosts < <(sipalg_stat rtr pinholes pinhole_hosts)
		[ "$pinholes $hosts" = "0 0" ] && break
		sleep 0.5
	done
	[ "$pinholes $hosts" = "0 0" ] || fail "the ledger still counts $pinholes pinholes of $hosts hosts"
	say "ok: no expectation and no ledger entry left after conntrack -F"
	dmesg | grep -E 'WARNING|BUG|Oops|soft lockup|hung_task|refcount|general protection|sipalg_ho' &&
		fail "kernel complained"
	rmmod sipalg || fail "rmmod failed"
	dmesg | grep -E 'sipalg_hole|sipalg_host|Objects remaining' && fail "the ledger's caches were not empty"
	slab=$(expect_slab_objects "$slab0")
	[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after unloading"
	say "ok: module unloads; nf_conntrack_expect objects $slab0 before, $slab after"
}

# Can the server reach the phone's RTP port (40000) through the router?
# rtp_from_wan LOG [LAN_IP:PORT WAN_IP:PORT ROUTER_PORT]
rtp_from_wan() {
	local log=$1 to=${2:-$PHONE:40000} from=${3:-$SERVER:50000} port=${4:-40000}
	rtp_through lan "$log" "$to" wan "$from" "$ROUTER_WAN:$port"
}

# rtp_through RECV_NS LOG RECV_IP:PORT SEND_NS SEND_IP:PORT DEST_IP:PORT
# Sends 20 datagrams; the receiver counts what arrives until the sender is
# done (plus a grace period), so a slow start never looks like a drop.
rtp_through() {
	local rns=$1 log=$2 to=$3 sns=$4 from=$5 dest=$6 pid
	ip netns exec "$rns" $SIPUA rtp-recv --bind "$to" --count 20 >"$log" &
	pid=$!
	wait_ready "$log"
	ip netns exec "$sns" $SIPUA rtp-send --bind "$from" --to "$dest" --count 20
	sleep 0.5
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	cat "$log"
}

# sipalg_stat NS NAME...: values of sipalg counters or gauges in namespace
# NS (from `sipalg stats -j`), separated by spaces.
sipalg_stat() {
	local ns=$1
	shift
	ip netns exec "$ns" "$TOP/cli/sipalg" stats -j | $PY -c \
		"import json, sys; d = json.load(sys.stdin); print(' '.join(str(d[k]) for k in sys.argv[1:]))" "$@"
}

# router_own_tcp on|off: the router's output chain drops untracked TCP
# (off), as a path that loses them or a sender that refuses them would:
# the ACKs that sipalg sends itself (kmod/sack.c); on: no more.
router_own_tcp() {
	if [ "$1" = off ]; then
		in_rtr nft -f - <<-'NFT' || fail "nft: the router's own TCP dropped"
			table inet no_own_tcp {
				chain out { type filter hook output priority 0; ct state untracked meta l4proto tcp drop; }
			}
			NFT
	else
		in_rtr nft delete table inet no_own_tcp
	fi
}

# The router's split counters that are not 0, tcp_fin_moved if not 0,
# passed_tcp_split and passed_tcp_reordered.
split_counters() {
	in_rtr "$TOP/cli/sipalg" stats -j | $PY -c '
import json, sys
st = json.load(sys.stdin)
print(", ".join(f"{k[10:]} {v}" for k, v in st.items() if k.startswith("tcp_split_") and v)
      + ("; fin_moved " + str(st["tcp_fin_moved"]) if st["tcp_fin_moved"] else "")
      + "; passed tcp_split " + str(st["passed_tcp_split"])
      + ", tcp_reordered " + str(st["passed_tcp_reordered"]))'
}

# The router's expectations (pinholes), one per line. The source port of a
# sipalg pinhole's tuple is matched on nothing (its mask's sport=0) and
# carries a note for a standby router (kmod/expect.c; t-sipalg-media
# checks it): shown as 0 here, so that a line reads as what it admits.
expectations() {
	{
		in_rtr conntrack -L expect -f ipv4 2>/dev/null
		in_rtr conntrack -L expect -f ipv6 2>/dev/null
	} | sed -E 's/^(.* proto=[0-9]+ src=[^ ]+ dst=[^ ]+) sport=[0-9]+ /\1 sport=0 /'
}

# Does a SIP message's Content-Length equal the length of its body?
content_length_exact() {
	$PY - "$1" <<-'PY'
	import re, sys
	data = open(sys.argv[1], "rb").read()
	head, _, body = data.partition(b"\r\n\r\n")
	m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
	sys.exit(0 if m and int(m.group(1)) == len(body) else 1)
	PY
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

# sipalg trace listeners (t-trace, demo, bench). They run as grandchildren,
# not jobs of the calling shell, because the scenarios wait for their own
# jobs; a subshell records each one's pid and exit status, and cleanup
# ends any left running. trace_start NAME NS [ARGS]: `sipalg trace ARGS`
# in namespace NS, stdout in $WORK/NAME.out (or $TRACE_OUT), stderr in
# $WORK/NAME.err; returns once it has joined its multicast group.
trace_start() {
	local name=$1 ns=$2 out=${TRACE_OUT:-$WORK/$1.out} pid _
	shift 2
	rm -f "$WORK/$name.trace-pid" "$WORK/$name.rc"
	( (
		ip netns exec "$ns" "$TOP/cli/sipalg" trace "$@" >"$out" 2>"$WORK/$name.err" &
		echo $! >"$WORK/$name.trace-pid"
		wait $!
		echo $? >"$WORK/$name.rc"
	) & )
	for _ in $(seq 50); do
		[ -s "$WORK/$name.trace-pid" ] && break
		sleep 0.1
	done
	[ -s "$WORK/$name.trace-pid" ] || fail "trace $name did not start"
	pid=$(cat "$WORK/$name.trace-pid")
	# Joined when one of its generic netlink sockets (libnl's port id has
	# the pid in its low 22 bits) is in a multicast group.
	for _ in $(seq 50); do
		[ -s "$WORK/$name.rc" ] && fail "trace $name exited $(cat "$WORK/$name.rc"): $(cat "$WORK/$name.err")"
		ip netns exec "$ns" awk -v pid="$pid" '$2 == 16 && $3 % 4194304 == pid % 4194304 &&
			$4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink && return 0
		sleep 0.1
	done
	say "(trace $name: no group seen in /proc/net/netlink; waiting 1 s instead)"
	sleep 1
}
# trace_stop NAME: SIGINT; it must exit 0 and say nothing on stderr.
trace_stop() {
	local name=$1 _
	kill -INT "$(cat "$WORK/$name.trace-pid")"
	for _ in $(seq 100); do
		[ -s "$WORK/$name.rc" ] && break
		sleep 0.1
	done
	rm -f "$WORK/$name.trace-pid"
	[ -s "$WORK/$name.rc" ] || fail "trace $name did not stop on SIGINT"
	[ "$(cat "$WORK/$name.rc")" = 0 ] ||
		fail "trace $name exited $(cat "$WORK/$name.rc") on SIGINT: $(cat "$WORK/$name.err")"
	[ ! -s "$WORK/$name.err" ] || fail "trace $name said on stderr: $(cat "$WORK/$name.err")"
}
kill_traces() { # and the captures
	local pidfile
	for pidfile in "$WORK"/*.trace-pid; do
		[ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	done
	[ ${#SIP_CAP_PIDS[@]} -eq 0 ] || kill "${SIP_CAP_PIDS[@]}" 2>/dev/null
	return 0
}

SIP_CAP_PIDS=()
# sip_capture_start DIR: SIP (port 5060: UDP and TCP, IPv4 and IPv6) on
# lan0 (the phones' side of the router) into DIR/lan.pcap and on wan0 (the
# far side) into DIR/wan.pcap. sip_capture_stop ends both. Like the traces,
# tcpdump is no job of the caller's, which may `wait` for its own.
sip_capture_start() {
	local dir=$1 ns _
	for ns in lan wan; do
		(
			ip netns exec $ns tcpdump -Z root --immediate-mode -U -s 0 -n -i ${ns}0 \
				-w "$dir/$ns.pcap" port 5060 >"$dir/tcpdump-$ns.log" 2>&1 &
			echo $! >"$dir/tcpdump-$ns.pid"
		)
		SIP_CAP_PIDS+=("$(cat "$dir/tcpdump-$ns.pid")")
	done
	for ns in lan wan; do
		for _ in $(seq 100); do
			grep -q listening "$dir/tcpdump-$ns.log" && continue 2
			sleep 0.1
		done
		fail "tcpdump in $ns did not start: $(cat "$dir/tcpdump-$ns.log")"
	done
}
sip_capture_stop() {
	local pid _
	sleep 0.5 # the last replies on the wire
	kill -INT "${SIP_CAP_PIDS[@]}" 2>/dev/null
	for pid in "${SIP_CAP_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || continue 2
			sleep 0.1
		done
		fail "tcpdump $pid did not stop on SIGINT"
	done
	SIP_CAP_PIDS=()
}

cleanup() {
	local status=$?
	kill_traces
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	topology_down
	# Leave the VM as the next test expects it: no SIP helper loaded.
	if grep -q '^sipalg ' /proc/modules; then
		rmmod sipalg || status=1
	fi
	# A failed test's captures, traces and logs go back to the host
	# (vm-run.sh keeps them in build/vm/failed/): a rare failure can be
	# read after the fact instead of waited for again.
	if [ "$status" -ne 0 ] && [ -d "${SIPALG_VM_SHARE:-}" ]; then
		mkdir -p "$SIPALG_VM_SHARE/failed" &&
			cp -a "$WORK" "$SIPALG_VM_SHARE/failed/$(basename "$0" .sh)-$(uname -r)-$(date +%s)"
	fi
	rm -rf "$WORK"
	exit $status
}
trap cleanup EXIT
