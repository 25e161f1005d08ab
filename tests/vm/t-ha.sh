#!/bin/bash
# Calls survive a router failover when conntrackd replicates the conntrack
# table and sipalg's expectations (pinholes) between a pair of routers.
#
#   lan   phone 192.168.0.10 on a bridge (br0) that both routers plug into
#    |  \
#   rtra  rtrb    A: 192.168.0.2, 203.0.113.2   B: 192.168.0.3, 203.0.113.3
#    |  \ sync    sync link 10.255.0.1/30 <-> 10.255.0.2/30 (conntrackd)
#    |  /         the gateway 192.168.0.1 and the public 203.0.113.1 live on
#   wan   server  A until the failover moves them to B (as keepalived would);
#         203.0.113.10 on a bridge too. Both routers SNAT the LAN to
#         203.0.113.1 and drop forwarded traffic but lan->wan and
#         established/related, like lib.sh's single router.
#
# Through A: the phone registers at the server, makes three calls (INVITE
# with SDP, 200 OK with SDP, ACK), RTP flows both ways on call 1. Then A
# fails (its LAN and WAN links go down), B takes the addresses and commits
# what conntrackd synced (primary-backup.sh's "primary"). Through B:
#   1. call 1's RTP still flows both ways, and its RTCP, never used before
#      the failover, gets in through the pinhole A opened;
#   2. the server's INVITE to the phone's registered public contact gets
#      in through the registration pinhole A opened;
#   3. the phone's BYE of call 2 is rewritten by B and closes call 2's
#      pinholes on B, not call 3's.
# Three runs of the same scenarios (HA_MODES, at the end):
#   kernel:  nf_conntrack_sip/nf_nat_sip in both routers, conntrackd with
#            ExpectationSync { sip }: reported, never failed on (only when
#            asked for: see HA_MODES);
#   control: sipalg without conntrackd: what needs the sync must NOT work
#            after the failover (this proves the test measures the sync);
#   ha:      sipalg with conntrackd and ExpectationSync { sipalg }: all of
#            the above must work.
# Found with Debian 12's conntrackd 1.4.7 (libnetfilter_conntrack 1.0.9):
# A's kernel reports each pinhole with its class, NAT (where it leads) and
# NAT function name, but conntrackd creates it on B with none of the three
# (HA_NLMON below shows it): on B every pinhole is class 0 and translates
# nowhere unless the helper on B makes up for it (sipalg does; the
# kernel's helper does not, see the reference run). The kernel helper's
# registration pinhole, made while the REGISTER (its flow's first packet)
# is on its way, is reported before its master conntrack and conntrackd
# never syncs it. And conntrackd -c returns before the expectations are
# in: see commit_on_b.
. "$(dirname "$0")/lib.sh"

HA_DIR="$VM_DIR/ha"
SYNC_A=10.255.0.1
SYNC_B=10.255.0.2
RTRA_LAN=192.168.0.2
RTRA_WAN=203.0.113.2
RTRB_LAN=192.168.0.3
RTRB_WAN=203.0.113.3
# lib.sh's names for what moves: the LAN gateway and the public address.
VIP_LAN=$ROUTER_LAN
VIP_WAN=$ROUTER_WAN
SERVER_RTP=50000

# Progress lines carry the seconds since the start: where the time goes.
say() { printf '  [%3ds] %s\n' "$SECONDS" "$*"; }

in_a() { ip netns exec rtra "$@"; }
in_b() { ip netns exec rtrb "$@"; }

ha_down() {
	local ns
	for ns in lan rtra rtrb wan; do
		# conntrackd daemons and background sipua processes first: a
		# namespace lives on while a process is in it.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null || true
	done
}

# lib.sh's cleanup removes lan/rtr/wan; the routers here are rtra/rtrb.
ha_cleanup() {
	local status=$?
	ha_down
	(exit $status)
	cleanup
}
trap ha_cleanup EXIT

# router_addrs NS LAN WAN SYNC: a router's own addresses on its three links.
router_addrs() {
	ip -n "$1" -batch - <<-EOF
	link set lo up
	addr add $2/24 dev lan
	addr add $3/24 dev wan
	addr add $4/30 dev sync
	EOF
}

# The two segments are bridges in the lan and wan namespaces: the phone's
# and the server's addresses sit on br0, each router plugs a veth into it,
# so either router can be the gateway without rewiring anything.
ha_up() {
	ha_down
	rm -rf "$WORK/ha-a" "$WORK/ha-b"
	local ns r
	# (ip -batch: each ip command costs a tenth of a second in the VM.)
	ip -batch - <<-EOF
	netns add lan
	netns add rtra
	netns add rtrb
	netns add wan
	link add lan-a netns lan type veth peer name lan netns rtra
	link add lan-b netns lan type veth peer name lan netns rtrb
	link add wan-a netns wan type veth peer name wan netns rtra
	link add wan-b netns wan type veth peer name wan netns rtrb
	link add sync netns rtra type veth peer name sync netns rtrb
	EOF
	for ns in lan wan; do
		ip -n $ns -batch - <<-EOF
		link add br0 type bridge
		link set br0 up
		link set $ns-a master br0 up
		link set $ns-b master br0 up
		EOF
	done
	# As in lib.sh, the server has no route to the LAN: only the NAT and
	# the pinholes lead there.
	ip -n lan -batch - <<-EOF
	link set lo up
	addr add $PHONE/24 dev br0
	route add default via $VIP_LAN
	EOF
	ip -n wan -batch - <<-EOF
	link set lo up
	addr add $SERVER/24 dev br0
	EOF
	router_addrs rtra $RTRA_LAN $RTRA_WAN $SYNC_A
	router_addrs rtrb $RTRB_LAN $RTRB_WAN $SYNC_B
	# A starts as the active router: it holds the addresses that move.
	ip -n rtra -batch - <<-EOF
	addr add $VIP_LAN/24 dev lan
	addr add $VIP_WAN/24 dev wan
	EOF
	for r in rtra rtrb; do
		ip -n $r -batch - <<-EOF
		link set lan up
		link set wan up
		link set sync up
		EOF
		ip netns exec $r sysctl -qw net.ipv4.ip_forward=1
		# Identical rules on both: an explicit snat (not masquerade,
		# which picks an interface's primary address) so that both map
		# the LAN to the same public address and a synced NAT binding
		# means the same on B as on A.
		ip netns exec $r nft -f - <<-NFT
		table inet ha_router {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				iifname "lan" oifname "wan" accept
				counter comment "dropped"
			}
			chain postrouting {
				type nat hook postrouting priority srcnat;
				oifname "wan" ip saddr 192.168.0.0/24 snat ip to $VIP_WAN
			}
		}
		NFT
	done
}

# The kernel's SIP helper on port 5060 in both routers (lib.sh's
# use_kernel_helper does it for its one router).
kernel_helper_in() {
	ip netns exec "$1" nft -f - <<-'NFT'
	table inet kernel_sip {
		ct helper sip_udp { type "sip" protocol udp; l3proto inet; }
		chain prerouting {
			type filter hook prerouting priority filter;
			udp dport 5060 ct helper set "sip_udp"
		}
	}
	NFT
}

# conntrackd on both routers, each with its own config, lock file, UNIX
# socket and log under $WORK/ha-a or ha-b (from ha/conntrackd.conf.in).
# HELPER: the helper whose expectations are synced.
conf_a() { echo "$WORK/ha-a/conntrackd.conf"; }
conf_b() { echo "$WORK/ha-b/conntrackd.conf"; }
ctd_a() { in_a conntrackd -C "$(conf_a)" "$@"; }
ctd_b() { in_b conntrackd -C "$(conf_b)" "$@"; }
conntrackd_up() {
	local helper=$1 r here peer _
	for r in a b; do
		if [ $r = a ]; then here=$SYNC_A peer=$SYNC_B; else here=$SYNC_B peer=$SYNC_A; fi
		rm -rf "$WORK/ha-$r"
		mkdir -p "$WORK/ha-$r"
		sed -e "s|@LOCAL@|$here|g" -e "s|@PEER@|$peer|g" -e "s|@DIR@|$WORK/ha-$r|g" \
			-e "s|@HELPER@|$helper|g" "$HA_DIR/conntrackd.conf.in" >"$WORK/ha-$r/conntrackd.conf"
		ip netns exec rtr$r conntrackd -C "$WORK/ha-$r/conntrackd.conf" -d ||
			fail "conntrackd did not start in rtr$r: $(cat "$WORK/ha-$r/conntrackd.log" 2>/dev/null)"
	done
	for _ in $(seq 50); do
		ctd_a -s >/dev/null 2>&1 && ctd_b -s >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctd_a -s >/dev/null 2>&1 && ctd_b -s >/dev/null 2>&1 ||
		fail "conntrackd does not answer on its socket: $(cat "$WORK"/ha-?/conntrackd.log)"
	say "conntrackd running in rtra and rtrb (FTFW over UDP $SYNC_A <-> $SYNC_B, ExpectationSync { $helper })"
}

# What B knows, for a failure message or the report.
ha_diag() {
	local label=$1
	echo "    --- $label: rtrb conntrack -L"
	in_b conntrack -L 2>/dev/null | sed 's/^/    | /' | head -30
	echo "    --- rtrb conntrack -L expect"
	in_b conntrack -L expect 2>/dev/null | sed 's/^/    | /' | head -20
	if [ -f "$WORK/ha-b/conntrackd.conf" ]; then
		echo "    --- rtrb conntrackd -s (external cache / errors)"
		ctd_b -s 2>&1 | grep -iE 'cache|error|fail|commit|created|destroyed' | sed 's/^/    | /' | head -20
		echo "    --- rtrb conntrackd -s expect"
		ctd_b -s expect 2>&1 | grep -v '^$' | sed 's/^/    | /' | head -20
		echo "    --- rtrb conntrackd log"
		grep -v '^$' "$WORK/ha-b/conntrackd.log" 2>/dev/null | tail -15 | sed 's/^/    | /'
	fi
	dmesg | tail -5 | sed 's/^/    | dmesg: /'
}
ha_fail() {
	ha_diag "state on rtrb"
	fail "$@"
}

# judge KIND RESULT WHAT: KIND "before" (through A: must work in every
# run, or the setup is wrong), "sync" (after the failover, works only if
# B got A's state) or "after" (after the failover, not a matter of sync).
# RESULT is "works" or "broken". MODE says what a run wants:
#   ha       everything works
#   control  "sync" checks must be broken; "after" ones are reported
#   kernel   only reported (the kernel helper's behaviour, for reference)
judge() {
	local kind=$1 result=$2 what=$3
	case "$MODE:$kind:$result" in
	kernel:*) say "KERNEL REFERENCE: $what: $result" ;;
	*:before:works | ha:*:works) say "ok: $what" ;;
	*:before:broken) ha_fail "$what: $result" ;;
	# After the failover every check runs, the failures are counted and
	# fail the test at the end of the run (one run shows all of them).
	ha:*:broken)
		say "FAILED: $what"
		FAILED+=("$what")
		;;
	control:sync:broken) say "ok (control): $what: broken without conntrackd, as it must be" ;;
	control:sync:works)
		say "FAILED: $what works without conntrackd: the test does not measure the sync"
		FAILED+=("$what works without conntrackd")
		;;
	control:after:*) say "control: $what: $result" ;;
	esac
}

# rtp KIND WHAT RECV_NS RECV SEND_NS SEND DEST WANT_FROM: 20 datagrams
# from SEND to DEST; works when all 20 reach RECV from WANT_FROM. (Like
# lib.sh's rtp_through, in one process: ha/rtpcheck.py.)
rtp() {
	local kind=$1 what=$2 log
	log="$D/rtp-$(echo "$what" | tr -c 'a-zA-Z0-9\n' - | head -c 40).log"
	$PY "$HA_DIR/rtpcheck.py" "$3" "$4" "$5" "$6" "$7" >"$log" 2>&1
	if grep -q "received 20 from $8\$" "$log"; then
		judge "$kind" works "$what ($(grep received "$log"))"
	else
		judge "$kind" broken "$what ($(grep received "$log"))"
	fi
}

# phone_send TEMPLATE CALL RTP [ARGS]: a request from the phone's 5060 to
# the server's 5060 (CALL: the call's name in its Call-ID and tags).
phone_send() {
	local template=$1 call=$2 rtp=$3
	shift 3
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --set server=$SERVER \
		--set phone=$PHONE --set sip_port=5060 --set call="$call" --set rtp_port="$rtp" \
		--set rtcp_port=$((rtp + 1)) "$@" "$template"
}

# The public RTP port the server saw in call N's INVITE.
public_port() {
	sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$D/wan-invite$1/000.sip" | tr -d '\r'
}

# pinhole_on_b PORT: does rtrb hold an expectation to the public PORT?
pinhole_on_b() {
	in_b conntrack -L expect 2>/dev/null | grep -qE "dst=$VIP_WAN sport=[0-9]+ dport=$1 "
}

# call N RTP: call N from the phone's RTP port RTP: INVITE with SDP, the
# server's 200 OK with SDP, ACK. Sets PUB[N], the public RTP port.
call() {
	local n=$1 rtp=$2 srv
	serve_in_wan "$D/invite$n.log" --bind $SERVER:5060 --count 1 --save-dir "$D/wan-invite$n" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" --set server=$SERVER --set server_rtp_port=$SERVER_RTP
	srv=$!
	phone_send "$HA_DIR/invite.sip" "call$n" "$rtp" --reply-save "$D/lan-reply$n.sip" >/dev/null ||
		ha_fail "INVITE of call $n through A got no reply"
	wait "$srv" || ha_fail "the server did not get call $n's INVITE: $(cat "$D/invite$n.log")"
	grep -q '^m=audio' "$D/lan-reply$n.sip" || ha_fail "call $n: the 200 OK carries no SDP"
	grep -q "^c=IN IP4 $VIP_WAN" "$D/wan-invite$n/000.sip" ||
		ha_fail "call $n's INVITE was not rewritten by A: $(cat "$D/wan-invite$n/000.sip")"
	PUB[n]=$(public_port "$n")
	# The ACK, as a raw datagram: it gets no reply, and nothing listens
	# for it (a sipua server would answer it with a 200 OK, which is
	# wrong, and each sipua run costs time in the VM).
	in_lan $SIPUA raw --bind $PHONE:5060 --to $SERVER:5060 "$WORK/ack$n.sip" >/dev/null
	judge before works "through A: call $n (INVITE, 200 OK, ACK) rewritten, public RTP port ${PUB[n]}"
}

# Everything through router A, then wait until B's external cache holds
# what the scenarios need (when conntrackd runs).
through_a() {
	local srv i
	serve_in_wan "$D/register.log" --bind $SERVER:5060 --count 1 --save-dir "$D/wan-register"
	srv=$!
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/register.sip" >/dev/null || ha_fail "REGISTER through A got no reply"
	wait "$srv" || ha_fail "the registrar did not get the REGISTER: $(cat "$D/register.log")"
	grep -q "Contact: <sip:011@$VIP_WAN:5060>;expires=3600" "$D/wan-register/000-reply.sip" ||
		ha_fail "the registrar's 200 OK does not list the public contact: $(cat "$D/wan-register/000-reply.sip")"
	judge before works "through A: the phone registered its public contact $VIP_WAN:5060"

	# The registrar reaches the phone through A (from its port 5082: the
	# conntrack this leaves must not be what lets 5080 in after failover).
	incoming before 5082 "through A"
	call 1 40000
	# Call 1's RTP both ways through A: the server's first (through the
	# pinhole, which makes the conntrack), then the phone's.
	rtp before "through A: call 1's RTP server -> phone" lan $PHONE:40000 wan $SERVER:$SERVER_RTP \
		"$VIP_WAN:${PUB[1]}" "$SERVER:$SERVER_RTP"
	rtp before "through A: call 1's RTP phone -> server" wan $SERVER:$SERVER_RTP lan $PHONE:40000 \
		"$SERVER:$SERVER_RTP" "$VIP_WAN:${PUB[1]}"
	# Two more calls, never used before the failover: the BYE of call 2
	# must close its pinholes on B and leave call 3's. (The control run
	# checks only what needs the sync: call 1 and the registration.)
	if [ "$MODE" != control ]; then
		call 2 40100
		call 3 40200
	fi

	if [ "$MODE" = kernel ]; then
		echo "    --- rtra conntrack -L expect before the failover"
		in_a conntrack -L expect 2>/dev/null | sed 's/^/    | /'
	fi
	[ "$MODE" = control ] && return 0
	# FTFW sends changes as the kernel reports them; wait until B's
	# external cache has the last pinhole A opened and call 1's RTP.
	for i in $(seq 50); do
		ctd_b -e expect 2>/dev/null | grep -q "dport=$((PUB[3] + 1)) " && break
		sleep 0.2
	done
	say "rtrb's external cache: $(ctd_b -e ct 2>/dev/null | grep -c .) conntracks, $(ctd_b -e expect 2>/dev/null | grep -c .) expectations (after $((i / 5)) s)"
	ctd_b -e expect 2>/dev/null | sed 's/^/    | /'
}

# A fails, B takes over (keepalived's job, scripted): A's LAN and WAN
# links go down and its addresses with them; B adds the gateway and the
# public address; the neighbours forget A's MAC (keepalived would send
# gratuitous ARP); and B does what primary-backup.sh does for "primary":
# commit the external cache into the kernel (-c), flush both caches (-f),
# resync its internal cache from the kernel (-R), bulk-send to the peer (-B).
failover() {
	ip -n rtra addr del $VIP_LAN/24 dev lan
	ip -n rtra addr del $VIP_WAN/24 dev wan
	ip -n rtra link set lan down
	ip -n rtra link set wan down
	ip -n rtrb addr add $VIP_LAN/24 dev lan
	ip -n rtrb addr add $VIP_WAN/24 dev wan
	ip -n lan neigh flush all
	ip -n wan neigh flush all
	if [ "$MODE" != control ]; then
		commit_on_b
		ctd_b -f >/dev/null 2>&1 || say "conntrackd -f failed"
		ctd_b -R >/dev/null 2>&1 || say "conntrackd -R failed"
		ctd_b -B >/dev/null 2>&1 || say "conntrackd -B failed"
	fi
	say "failover: A's links down, $VIP_LAN and $VIP_WAN on B$([ "$MODE" != control ] && echo ", B committed: $(in_b conntrack -C 2>/dev/null) conntracks, $(in_b conntrack -L expect 2>/dev/null | grep -c .) expectations")"
}

# conntrackd -c (both caches) returns once the conntracks are in, while
# the expectations are still being committed: a -f right after is refused
# ("ignoring flush command, commit still in progress") and the
# expectations never arrived in the kernel. So: -c ct, then -c expect,
# each waited for in the log, then the rest of primary-backup.sh.
commit_on_b() {
	local what n _
	for what in ct expect; do
		n=$(grep -c 'commit has taken' "$WORK/ha-b/conntrackd.log")
		ctd_b -c $what >/dev/null 2>&1 || say "conntrackd -c $what failed"
		for _ in $(seq 50); do
			[ "$(grep -c 'commit has taken' "$WORK/ha-b/conntrackd.log")" -gt "$n" ] && break
			sleep 0.1
		done
	done
	say "rtrb's conntrackd: $(grep -E 'Committed|can.t be committed|commit-' "$WORK/ha-b/conntrackd.log" | sed 's/^.*\] //' | tr '\n' ';')"
}

# incoming TAG PORT: the registrar (the server, from its port 5080) sends an
# INVITE to the phone's registered public contact $VIP_WAN:5060.
incoming() {
	local kind=$1 port=$2 where=$3 dir=$D/incoming-$1
	mkdir -p "$dir"
	receive_one "$dir" --bind $PHONE:5060 --answer-sdp "$VM_DIR/msgs/answer.sdp" \
		--set server=$PHONE --set server_rtp_port=40300
	in_wan $SIPUA send --bind $SERVER:$port --to $VIP_WAN:5060 --timeout 3 \
		--reply-save "$dir/reply.sip" --set server=$SERVER --set server_port=$port \
		--set target=$VIP_WAN:5060 "$VM_DIR/msgs/invite-in.sip" >/dev/null 2>&1
	if received "$dir"; then
		judge "$kind" works "$where: the registrar's INVITE to the public contact reaches the phone (registration pinhole)"
		if grep -q "^INVITE sip:011@$PHONE:5060 " "$dir/lan/000.sip"; then
			judge "$kind" works "$where: its Request-URI names the phone ($PHONE:5060)"
		else
			judge "$kind" broken "$where: its Request-URI names the phone: $(head -1 "$dir/lan/000.sip")"
		fi
		if grep -q "^c=IN IP4 $VIP_WAN" "$dir/reply.sip" 2>/dev/null; then
			judge "$kind" works "$where: the phone's answer leaves with the public address in its SDP"
		else
			judge "$kind" broken "$where: the phone's answer leaves with the public address in its SDP: $(grep '^c=' "$dir/reply.sip" 2>/dev/null || echo no answer)"
		fi
	else
		judge "$kind" broken "$where: the registrar's INVITE to the public contact reaches the phone (registration pinhole)"
	fi
}

# The phone's BYE of call 2 through B: rewritten, and closes call 2's
# pinholes on B but not call 3's.
bye_through_b() {
	local bye=$D/wan-bye/000.sip have2 have3
	pinhole_on_b "${PUB[2]}" && pinhole_on_b $((PUB[2] + 1)) && have2=yes || have2=no
	pinhole_on_b "${PUB[3]}" && pinhole_on_b $((PUB[3] + 1)) && have3=yes || have3=no
	if [ $have2$have3 = yesyes ]; then
		judge sync works "before the BYE B holds calls 2 and 3's RTP and RTCP pinholes (synced from A)"
	else
		judge sync broken "before the BYE B holds calls 2 and 3's RTP and RTCP pinholes (synced from A): call 2 $have2, call 3 $have3"
	fi
	serve_in_wan "$D/bye.log" --bind $SERVER:5060 --count 1 --save-dir "$D/wan-bye" --set server=$SERVER
	phone_send "$HA_DIR/bye.sip" call2 40100 >/dev/null || judge after broken "through B: the BYE gets its 200 OK"
	wait
	[ -f "$bye" ] || ha_fail "the server got no BYE: $(cat "$D/bye.log")"
	# (The Call-ID keeps the phone's address: no helper rewrites it.)
	if grep -q "^Via: SIP/2.0/UDP $VIP_WAN:5060;" "$bye" && grep -q "^Contact: <sip:alice@$VIP_WAN:5060>" "$bye" &&
		! grep -E '^(Via|Contact):' "$bye" | grep -q '192\.168\.'; then
		judge after works "through B: the BYE's Via and Contact carry $VIP_WAN, not 192.168.x"
	else
		judge after broken "through B: the BYE's Via and Contact carry $VIP_WAN, not 192.168.x:
$(sed 's/^/    | /' "$bye")"
	fi
	[ $have2 = yes ] || return 0
	if pinhole_on_b "${PUB[2]}" || pinhole_on_b $((PUB[2] + 1)); then
		judge sync broken "through B: the BYE closed call 2's pinholes on B"
	else
		judge sync works "through B: the BYE closed call 2's pinholes on B"
	fi
	if pinhole_on_b "${PUB[3]}" && pinhole_on_b $((PUB[3] + 1)); then
		judge sync works "through B: call 3's pinholes stay"
	else
		judge sync broken "through B: call 3's pinholes stay"
	fi
	# sipalg on B lists them as the media pinholes of the phone's
	# connection (adopted: their class back).
	[ "$MODE" = ha ] || return 0
	in_b "$TOP/cli/sipalg" connections >"$D/connections-b.txt" 2>&1
	if grep -qE "^ +media [^ ]+ -> $VIP_WAN:${PUB[3]} " "$D/connections-b.txt" &&
		grep -qE "^ +media [^ ]+ -> $VIP_WAN:$((PUB[3] + 1)) " "$D/connections-b.txt"; then
		judge sync works "sipalg connections on B lists call 3's pinholes as media"
	else
		judge sync broken "sipalg connections on B lists call 3's pinholes as media:
$(sed 's/^/    | /' "$D/connections-b.txt")"
	fi
}

# Debugging aid: HA_NLMON=DIR captures the ctnetlink messages in both
# routers (nlmon devices) from the first call to the end of the failover,
# as DIR/MODE-rtra.pcap and DIR/MODE-rtrb.pcap: what the kernel reports to
# conntrackd on A and what conntrackd asks of the kernel on B
# (tests/vm/ha/nlattrs.py lists each expectation's attributes).
NLMON_PIDS=()
nlmon_start() {
	local r
	[ -n "${HA_NLMON:-}" ] || return 0
	mkdir -p "$HA_NLMON"
	for r in rtra rtrb; do
		ip -n $r link add nlmon0 type nlmon
		ip -n $r link set nlmon0 up
		# Not a job of this shell: the scenarios `wait` for theirs.
		(
			ip netns exec $r tcpdump -i nlmon0 -w "$HA_NLMON/$MODE-$r.pcap" >/dev/null 2>&1 &
			echo $! >"$WORK/nlmon-$r.pid"
		)
		NLMON_PIDS+=("$(cat "$WORK/nlmon-$r.pid")")
	done
	sleep 1
}
nlmon_stop() {
	[ ${#NLMON_PIDS[@]} -gt 0 ] || return 0
	sleep 0.5
	kill "${NLMON_PIDS[@]}" 2>/dev/null
	sleep 0.5
	NLMON_PIDS=()
	[ -z "${HA_NLMON:-}" ] || ctd_b -e expect -x >"$HA_NLMON/$MODE-rtrb-external-expect.xml" 2>&1
}

# scenarios MODE: the whole story once, on a fresh pair of routers.
scenarios() {
	MODE=$1
	D=$WORK/$MODE
	PUB=()
	FAILED=()
	mkdir -p "$D"
	nlmon_start
	through_a
	failover
	nlmon_stop
	# 1. Call 1's existing RTP stream, the server's first: if it came
	# second, the phone's datagrams would make a new conntrack on B
	# whose reply direction lets the server's in even without sync.
	rtp sync "through B: call 1's RTP server -> phone" lan $PHONE:40000 wan $SERVER:$SERVER_RTP \
		"$VIP_WAN:${PUB[1]}" "$SERVER:$SERVER_RTP"
	rtp after "through B: call 1's RTP phone -> server (from the same public port)" wan $SERVER:$SERVER_RTP \
		lan $PHONE:40000 "$SERVER:$SERVER_RTP" "$VIP_WAN:${PUB[1]}"
	# A stream that starts only now: RTCP into the pinhole A opened.
	rtp sync "through B: call 1's RTCP server -> phone, first sent after the failover" \
		lan $PHONE:40001 wan $SERVER:$((SERVER_RTP + 1)) "$VIP_WAN:$((PUB[1] + 1))" "$SERVER:$((SERVER_RTP + 1))"
	# Kernel helper only: its 4 media pinholes per signalling flow went
	# to call 3 (the later calls evicted call 1's RTCP on A already), so
	# try a pinhole A still held: call 3's RTP.
	if [ "$MODE" = kernel ]; then
		rtp sync "through B: call 3's RTP server -> phone into its synced pinhole" lan $PHONE:40200 \
			wan $SERVER:$((SERVER_RTP + 2)) "$VIP_WAN:${PUB[3]}" "$SERVER:$((SERVER_RTP + 2))"
	fi
	# 2. The registration: the registrar's INVITE from a port it has not
	# used before (5080), which only the registration pinhole lets in.
	incoming sync 5080 "through B"
	# 3. BYE of call 2.
	[ "$MODE" = control ] || bye_through_b
	[ "$MODE" = kernel ] && ha_diag "kernel reference: what rtrb holds at the end"
	[ ${#FAILED[@]} -eq 0 ] || ha_fail "$MODE: ${#FAILED[@]} checks failed after the failover: $(printf '\n    - %s' "${FAILED[@]}")"
	return 0
}

modprobe nf_conntrack_netlink
# The ACKs of the three calls, as the phone sends them (raw datagrams).
for n in 1 2 3; do
	$SIPUA fill --set server=$SERVER --set phone=$PHONE --set sip_port=5060 --set call="call$n" \
		"$HA_DIR/ack.sip" >"$WORK/ack$n.sip"
done
modprobe nf_nat # (what sipalg.ko links against; the kernel run loads it too)
command -v conntrackd >/dev/null || fail "conntrackd is not installed (scripts/deps.sh)"

# HA_MODES: which runs, in this order. By default control and ha; the
# kernel reference (about a minute more) is asked for with
# HA_MODES="kernel control ha": its result is in the README, and make
# check keeps under 40 minutes without it.
HA_MODES=${HA_MODES:-control ha}
case " $HA_MODES " in *" kernel "*)
say "=== reference: the kernel's nf_conntrack_sip/nf_nat_sip, conntrackd with ExpectationSync { sip }"
modprobe nf_conntrack_sip
modprobe nf_nat_sip
ha_up
kernel_helper_in rtra
kernel_helper_in rtrb
conntrackd_up sip
scenarios kernel
ha_down
rmmod nf_nat_sip nf_conntrack_sip 2>/dev/null
;; esac

insmod "$ko" || fail "insmod failed"

case " $HA_MODES " in *" control "*)
say "=== control: sipalg without conntrackd (${SECONDS}s)"
ha_up
scenarios control
;; esac

case " $HA_MODES " in *" ha "*)
say "=== sipalg with conntrackd, ExpectationSync { sipalg } (${SECONDS}s)"
ha_up
conntrackd_up sipalg
scenarios ha
;; esac
