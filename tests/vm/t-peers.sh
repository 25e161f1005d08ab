#!/bin/bash
# Real SIP stacks through the NAT router: a kamailio registrar/proxy on the
# WAN (digest auth, no NAT handling of its own), two baresip phones on the
# LAN and one baresip on the WAN, all headless (a tone from a .wav file as
# microphone). With sipalg: both phones register, call out, take a call,
# hold and resume, hang up from either side and make two calls at once, and
# RTP flows both ways in every call. Without sipalg (nothing else changed)
# the same call out is one-way and the incoming call never reaches the
# phone: the test would fail without the ALG.
#
# Media is judged by counting RTP packets on both sides of the router
# (tcpdump in lan and wan): each direction must carry real audio (at least
# 50 packets, 1 s at the 20 ms ptime, in a few seconds of talk) and at
# least 90% of what the sending side put on its wire must arrive on the
# other side. The router, not the phones' pace under emulation, is what
# is tested, so nothing compares counts with wall-clock time.
. "$(dirname "$0")/lib.sh"

PEERS="$VM_DIR/peers"
CTL="/bin/bash $PEERS/ctl.sh"

# Each user agent: netns, address, RTP port range, ctrl_tcp port, user.
# The ranges differ so a packet's port says whose it is.
declare -A UA_NS=([phone]=lan [phone2]=lan [peer]=wan)
declare -A UA_IP=([phone]=$PHONE [phone2]=$PHONE2 [peer]=$PEER)
declare -A UA_RTP=([phone]=40000-40019 [phone2]=41000-41019 [peer]=30000-30019)
declare -A UA_CTRL=([phone]=4441 [phone2]=4442 [peer]=4451)
declare -A UA_USER=([phone]=100 [phone2]=101 [peer]=200)
declare -A UA_PID=()
KAM_PID=
CAP_PIDS=()

# 20 s of a 400 Hz tone, 8 kHz mono: the phones' microphone.
$PY - "$WORK/tone.wav" <<-'PY'
import math, struct, sys, wave
period = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * i / 20))) for i in range(20))
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(period * 8000)
PY

# baresip binds RTP to 0.0.0.0, so the kernel picks the source address:
# phone 2's RTP would leave from .10 (the LAN's first address), the WAN
# UA's from kamailio's .10. Route their RTP ports through tables that
# prefer their own address, as if each had a host of its own.
own_source_addresses() {
	in_lan ip route add 192.168.0.0/24 dev lan0 src $PHONE2 table 11
	in_lan ip route add default via $ROUTER_LAN src $PHONE2 table 11
	in_lan ip rule add ipproto udp sport "${UA_RTP[phone2]}" table 11
	in_wan ip route add 203.0.113.0/24 dev wan0 src $PEER table 20
	in_wan ip rule add ipproto udp sport "${UA_RTP[peer]}" table 20
}

start_kamailio() {
	mkdir -p "$WORK/kamailio"
	# (ip netns exec, not in_wan: $! must be kamailio itself, not a
	# subshell, for the kill in stop_all; likewise for every daemon here.)
	ip netns exec wan kamailio -f "$PEERS/kamailio.cfg" -DD -E -Y "$WORK/kamailio" \
		-P "$WORK/kamailio/pid" -m 32 -M 4 >"$WORK/kamailio.log" 2>&1 &
	KAM_PID=$!
	local _
	for _ in $(seq 100); do
		in_wan ss -Hlun "src $SERVER:5060" | grep -q . && return 0
		sleep 0.2
	done
	fail "kamailio did not start: $(tail -5 "$WORK/kamailio.log")"
}

# start_ua NAME: its own config dir; registers (digest auth) at kamailio.
start_ua() {
	local ua=$1 dir=$WORK/$1
	mkdir -p "$dir"
	sed -e "s|@IP@|${UA_IP[$ua]}|g" -e "s|@RTP@|${UA_RTP[$ua]}|" \
		-e "s|@CTRL@|${UA_CTRL[$ua]}|" -e "s|@WAV@|$WORK/tone.wav|" \
		"$PEERS/baresip.conf" >"$dir/config"
	echo "<sip:${UA_USER[$ua]}@$SERVER>;auth_pass=secret;answermode=auto;regint=600;ptime=20;audio_codecs=PCMU" >"$dir/accounts"
	ip netns exec "${UA_NS[$ua]}" baresip -f "$dir" >"$WORK/$ua.log" 2>&1 </dev/null &
	UA_PID[$ua]=$!
}

# ua NAME COMMAND...: a command to the user agent (in its netns).
ua() {
	local name=$1
	shift
	ip netns exec "${UA_NS[$name]}" $CTL "${UA_CTRL[$name]}" "$@"
}
registered() { ua "$1" --until OK reginfo >/dev/null || fail "$1 did not register: $(ua "$1" reginfo)"; }
established() { ua "$1" --until ESTABLISHED listcalls >/dev/null || fail "$1: no call established: $(ua "$1" listcalls)"; }
idle() { ua "$1" --until "calls (0)" listcalls >/dev/null || fail "$1: the call did not end: $(ua "$1" listcalls)"; }

# Stop the phones first (they unregister), then kamailio.
stop_all() {
	capture_stop
	local pid
	for pid in "${UA_PID[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${UA_PID[@]}" $KAM_PID; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	UA_PID=()
	KAM_PID=
}
# Also on failure, before lib.sh's cleanup kills everything at once (a
# phone would then wait 32 s for the gone registrar to unregister).
trap 'status=$?; stop_all; (exit $status); cleanup' EXIT

# capture NAME: tcpdump on the phones' side (lan0) and the far side of the
# router (all of netns wan: kamailio and the WAN UA talk over its lo),
# into NAME-lan.pcap and NAME-wan.pcap.
capture() {
	local ns _
	CAP=$WORK/$1
	ip netns exec lan tcpdump -Z root --immediate-mode -U -n -i lan0 -w "$CAP-lan.pcap" udp >"$CAP-lan.log" 2>&1 &
	CAP_PIDS+=($!)
	ip netns exec wan tcpdump -Z root --immediate-mode -U -n -i any -w "$CAP-wan.pcap" udp >"$CAP-wan.log" 2>&1 &
	CAP_PIDS+=($!)
	for ns in lan wan; do
		for _ in $(seq 100); do
			grep -q listening "$CAP-$ns.log" && break
			sleep 0.1
		done
	done
}

# Stop capturing; list each side's packets once as "time src.port dst.port"
# in NAME-lan.flows and NAME-wan.flows, for counting.
capture_stop() {
	local pid ns
	# (Immediate mode: nothing waits in the kernel's buffer when it stops.)
	for pid in "${CAP_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ ${#CAP_PIDS[@]} -gt 0 ] || return 0
	CAP_PIDS=()
	for ns in lan wan; do
		tcpdump -r "$CAP-$ns.pcap" -n -tt 2>/dev/null |
			awk '{ for (i = 2; i < NF; i++) if ($(i + 1) == ">") { sub(":$", "", $(i + 2)); print $1, $i, $(i + 2); next } }' \
				>"$CAP-$ns.flows"
	done
}

# packets SIDE FROM TO [SINCE UNTIL]: how many packets FROM -> TO (each an
# address, address.port or "" for any) were captured on SIDE (lan or wan),
# optionally only between two `date +%s.%N` times.
packets() {
	awk -v s="$2" -v d="$3" -v a="${4:-0}" -v b="${5:-9e9}" '
		function is(addr, want) { return want == "" || addr == want || index(addr, want ".") == 1 }
		$1 >= a && $1 < b && is($2, s) && is($3, d) { n++ }
		END { print n + 0 }' "$CAP-$1.flows"
}

# port_of SIDE FROM TO: the most used destination port from FROM to TO
# (addresses), SIP aside.
port_of() {
	awk -v s="$2." -v d="$3." '
		index($2, s) == 1 && index($3, d) == 1 && $3 !~ /\.5060$/ { sub(".*\\.", "", $3); n[$3]++ }
		END { for (p in n) if (n[p] > best) { best = n[p]; port = p } print port }' "$CAP-$1.flows"
}

# media PHONE_IP [SINCE UNTIL]: RTP of one call counted where it leaves its
# sender and where it arrives at the other side of the router. Sets
# up_sent up_got (phone -> WAN UA) and down_sent down_got (WAN UA -> phone),
# and the public port the phone's RTP leaves the router from.
media() {
	local ip=$1 p
	shift
	p=$(port_of lan "$ip" $PEER)
	[ -n "$p" ] || fail "no RTP from $ip to the WAN UA at all"
	up_sent=$(packets lan "$ip" $PEER.$p "$@")
	up_got=$(packets wan $ROUTER_WAN $PEER.$p "$@")
	down_sent=$(packets wan $PEER.$p $ROUTER_WAN "$@")
	down_got=$(packets lan $PEER.$p "$ip" "$@")
	public=$(awk -v d="$PEER.$p" '$3 == d { sub(".*\\.", "", $2); print $2; exit }' "$CAP-wan.flows")
	counts="phone->peer $up_sent sent, $up_got arrived; peer->phone $down_sent sent, $down_got arrived"
}

# enough SENT GOT: real audio (>= 1 s at 20 ms) and >= 90% of it arrived.
enough() { [ "$1" -ge 50 ] && [ $(($2 * 10)) -ge $(($1 * 9)) ]; }

# two_way WHAT PHONE_IP [FROM TO]
two_way() {
	media "${@:2}"
	enough "$up_sent" "$up_got" && enough "$down_sent" "$down_got" ||
		fail "$1: media is not two-way: $counts"
	say "ok: $1: $counts (public RTP port $public)"
}

# sip_at FILTER TEXT1 TEXT2: when the first SIP message on the phones' side
# of the router matching FILTER and containing both texts was captured.
sip_at() {
	tcpdump -r "$CAP-lan.pcap" -n -tt -A "udp and port 5060 and $1" 2>/dev/null |
		awk -v a="$2" -v b="$3" '
		/^[0-9]+\.[0-9]+ IP / { if (x && y && !done) { print ts; done = 1 } ts = $1; x = y = 0 }
		index($0, a) { x = 1 }
		index($0, b) { y = 1 }
		END { if (x && y && !done) print ts }'
}

now() { date +%s.%N; }
talk() { sleep 3; }

# registered_contact USER PHONE_IP: the phone was challenged for digest
# auth; prints the Contact host:port its REGISTER had when it reached the
# registrar (what kamailio stores and will send incoming calls to).
registered_contact() {
	tcpdump -r "$CAP-lan.pcap" -n -A "udp and dst host $2 and port 5060" 2>/dev/null |
		grep -aq 'SIP/2.0 401 Unauthorized' || echo "($2 was not challenged for digest auth)"
	tcpdump -r "$CAP-wan.pcap" -n -A "udp and dst host $SERVER and port 5060" 2>/dev/null |
		grep -aio -m1 "^Contact: *<sip:$1-[^@]*@[^;>]*" | sed 's/.*@//'
}

# call_out NAME: phone 1 calls the WAN UA, they talk, the phone hangs up;
# captured as NAME.
call_out() {
	capture "$1"
	ua phone dial "sip:200@$SERVER" >/dev/null
	established phone
	established peer
	talk
	ua phone hangup >/dev/null
	idle peer
	capture_stop
}

# --- Without sipalg: the same network and the same phones. ---
! grep -q '^sipalg ' /proc/modules || fail "sipalg is loaded"
topology_up
own_source_addresses
start_kamailio
capture reg-none
start_ua phone
start_ua peer
registered phone
registered peer
capture_stop
contact=$(registered_contact 100 $PHONE)
[ "${contact%:*}" = $PHONE ] || fail "no ALG: kamailio got contact '$contact'"
say "ok: no ALG: the phone registers (digest auth), kamailio stores its private contact $contact"

call_out out-none
media $PHONE
[ "$down_got" -eq 0 ] && enough "$up_sent" "$up_got" || fail "no ALG: call out is not one-way: $counts"
say "ok: no ALG: call out is one-way (the WAN UA sends to $PHONE, which it cannot reach): $counts"

capture in-none
ua peer dial "sip:100@$SERVER" >/dev/null
idle peer
capture_stop
answer=$(tcpdump -r "$CAP-wan.pcap" -n -A "udp and src host $SERVER and dst host $PEER" 2>/dev/null |
	grep -ao 'SIP/2.0 [3-6][0-9][0-9][^.]*' | grep -v ' 40[17] ' | head -1)
[ -n "$answer" ] || fail "no ALG: the incoming call got no error answer"
[ "$(packets lan "" $PHONE.5060)" -eq 0 ] ||
	fail "no ALG: SIP reached the phone: $(tcpdump -r "$CAP-lan.pcap" -n -A "dst host $PHONE" 2>/dev/null | head -20)"
say "ok: no ALG: an incoming call never reaches the phone (the caller gets '$answer')"
stop_all

# --- With sipalg, nothing else changed. ---
topology_up
own_source_addresses
insmod "$ko" || fail "insmod failed"
start_kamailio
capture reg
start_ua phone
start_ua phone2
start_ua peer
registered phone
registered phone2
registered peer
capture_stop
contact=$(registered_contact 100 $PHONE)
contact2=$(registered_contact 101 $PHONE2)
[ "${contact%:*}" = $ROUTER_WAN ] && [ "${contact2%:*}" = $ROUTER_WAN ] ||
	fail "kamailio got contacts '$contact' and '$contact2'"
say "ok: both phones register through the NAT (digest auth), kamailio stores public contacts $contact, $contact2"

# What `sipalg connections` makes of real phones: state of each session.
connections() { in_rtr "$TOP/cli/sipalg" connections >"$WORK/conns-$1.txt"; }
listed() { # listed NAME REGEX WHAT
	grep -Eq "$2" "$WORK/conns-$1.txt" || fail "sipalg connections does not show $3:
$(sed 's/^/    | /' "$WORK/conns-$1.txt")"
}
connections reg
listed reg "^ +registration sip:100@$SERVER +registered +[0-9]" "phone 1 registered"
listed reg "^ +registration sip:101@$SERVER +registered +[0-9]" "phone 2 registered"
say "ok: sipalg connections shows both phones registered"

# Call out; the phone hangs up.
call_out out
two_way "call out, phone hangs up" $PHONE

# Incoming call; the phone holds and resumes; the WAN UA hangs up.
capture in
ua peer dial "sip:100@$SERVER" >/dev/null
established phone
established peer
t0=$(now)
talk
t1=$(now)
connections in
ua phone hold >/dev/null
sleep 3
connections held
ua phone resume >/dev/null
talk
t2=$(now)
ua peer hangup >/dev/null
idle phone
capture_stop
two_way "incoming call" $PHONE "$t0" "$t1"
# On hold (a=sendonly, answered a=recvonly) the WAN UA must fall silent
# (baresip's holding phone stops sending too): measured from the answer
# to the hold to the resuming re-INVITE, as captured at the phone.
held=$(sip_at "dst host $PHONE" "SIP/2.0 200 OK" "a=recvonly")
resumed=$(sip_at "src host $PHONE" "INVITE sip:" "a=sendrecv")
[ -n "$held" ] && [ -n "$resumed" ] || fail "hold: no re-INVITE exchange seen at the phone"
media $PHONE "$held" "$resumed"
[ "$down_got" -le 2 ] || fail "on hold the phone still hears the WAN UA: $counts"
say "ok: on hold ($(awk "BEGIN { printf \"%.1f\", $resumed - $held }") s): $counts"
two_way "resumed after hold" $PHONE "$resumed" "$t2"
[ -n "$(sip_at "dst host $PHONE" "BYE sip:" "BYE sip:")" ] || fail "the WAN UA's BYE did not reach the phone"
say "ok: the WAN UA hangs up: its BYE reaches the phone through the NAT"
listed in "^ +call in [^ ]+ +established " "the incoming call established"
listed held "^ +call in [^ ]+ +held " "the incoming call held"
connections over
grep -q "^ *call " "$WORK/conns-over.txt" && fail "a call is still listed after its BYE:
$(sed 's/^/    | /' "$WORK/conns-over.txt")"
say "ok: sipalg connections shows the incoming call established, then held, then gone"

# Both phones call out at the same time.
capture two
ua phone dial "sip:200@$SERVER" >/dev/null &
dial1=$!
ua phone2 dial "sip:200@$SERVER" >/dev/null &
wait $dial1 $!
established phone
established phone2
talk
ua phone hangup >/dev/null
ua phone2 hangup >/dev/null
idle peer
capture_stop
two_way "two calls at once, phone 1" $PHONE
two_way "two calls at once, phone 2" $PHONE2

# Every call is over: its media pinholes are closed, the phones'
# registration pinholes (to their contacts' ports) stay.
expectations | grep "dst=$ROUTER_WAN " >"$WORK/expect.txt"
if grep -v -e "dport=${contact#*:} " -e "dport=${contact2#*:} " "$WORK/expect.txt"; then
	fail "pinholes left open after the calls ended"
fi
say "ok: no media pinhole left after the calls ($(grep -c . "$WORK/expect.txt") registration pinholes stay)"
