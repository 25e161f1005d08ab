#!/bin/bash
# SIP over TCP, a message split across segments that reach the router out
# of order or not at all (issue 14): reordered or lost before the router.
# The router holds the bytes that come after the gap (they were never
# delivered, so never acknowledged) until what is missing comes, then joins
# the whole message and rewrites it.
#
# The reordering is exact, not left to chance: on the router's link in,
# before its netfilter, tc's u32 picks segments by their port and first
# payload bytes and sends them through an ifb whose netem holds them back
# 40 ms: to sipalg they come late. (The sender's own netfilter sees its
# write as GSO packets, not yet cut into segments.) A loss is a drop in
# the router's raw prerouting, before conntrack: the router never sees
# that segment. Offloads are off on every veth, so a segment on the wire
# is one the sender's stack cut (sipua --segments N).
#
#   1. An INVITE in 3 segments whose first comes last (2, 3, 1): the
#      server gets it rewritten, Content-Length exact.
#   2. Its middle segment last (1, 3, 2); an INVITE in 10 segments whose
#      first comes last (2, ..., 10, 1). (A message with two gaps at once
#      is given up, tcp_split_gave_up_gap: one run after a gap is held.)
#   3. The server's 200 OK in 3 segments, its first last: it reaches the
#      phone with the phone's Via restored, Content-Length exact.
#   4. IPv6 through NAT66: scenario 1. The router tells the phone what it
#      holds after the gap, as a receiver would (a duplicate ACK with SACK
#      blocks, tcp_split_asked), and the phone sends the late segment
#      again at once (its TcpExtTCPSackRecovery counts it).
#   5. Lost: the INVITE's first segment is dropped once before the router;
#      told the same way, the phone sends it again at once, not after its
#      retransmission timer (TcpExtTCPTimeouts stays), and the router joins
#      it to what it held: rewritten. (Before, the router said nothing: a
#      stall of one RTO.)
#      Then scenario 1 again, its joined packet dropped once after the
#      router: the phone's retransmission is rebuilt into the whole
#      message, rewritten as the first time (tcp_split_rebuilt).
#      Then the fifth of 10 segments lost before the router: the router
#      holds the four before it and the five after it, and the server,
#      having none of them, cannot tell the phone what is missing; the
#      router does, with SACKs of what it holds (tcp_split_asked), and the
#      phone sends the missing segment again without waiting for its RTO.
#      (Before: the RTO sent the first segment again, which the router
#      could only give up, "resent", and the INVITE passed unmodified.)
#      Then the middle of 3 lost: the phone, told of the third, sends the
#      first again; the router reports that copy as a duplicate (a D-SACK),
#      which gives the phone's recovery the credit to send the second.
#      (Before: its timer sent the first again, "resent", unmodified.)
#      Then the first two of 3 lost: the phone, told of the third, sends
#      the first again, which begins the message and cannot be SACKed; the
#      router reports it as a duplicate too, and the phone sends the
#      second. (Before: "resent" after its timer, unmodified.)
#      Then a joined INVITE whose last segment the phone sends again (the
#      server's acknowledgment lost on its way back): the router rebuilds
#      the whole message, and narrows the server's report of that
#      duplicate (a D-SACK of the whole message) to the segment sent
#      again, which the phone then believes. And the first two of 3 only
#      late: the first, the phone's only copy of it, is not reported as a
#      duplicate. And a lost segment after 40 rewritten REGISTERs on the
#      connection, which shrank the stream by more than one is long: the
#      router's ACKs that ask for it carry what the phone had
#      acknowledged, which conntrack's number no longer is. And a segment
#      the network delivered twice: the copy is dropped, so the phone is
#      not told of a duplicate it never sent, and still believes the
#      router's D-SACKs.
#      And an INVITE whose later segments conntrack saw before its first
#      reached sipalg's hook, as when other CPUs carry them: held and
#      rewritten (5j).
#   6. Counters: tcp_split_out_of_order counts a held gap for each of the
#      ten messages, nothing was given up, passed_tcp_split is 0.
#   7. The kernel's helper gets scenarios 1, 8 and 8b first, in the same
#      network: what it did is reported, not asserted.
#   8. Whole messages out of order: an INVITE and then a REGISTER, each
#      whole in its own segment on one connection, the INVITE held back:
#      the REGISTER is rewritten first, and its length change moves the
#      stream's sequence adjustment past the INVITE, which then must keep
#      its length (passed_tcp_reordered): the server gets both, the stream
#      whole. Rewriting the late INVITE too loses its length change
#      (nf_ct_seqadj keeps one correction point per direction and only
#      moves it forward): the server's stream has a hole where the INVITE
#      shrank, which the phone fills by sending the INVITE's last bytes
#      again, and they land between the two messages (before this test:
#      "cv" of its a=sendrecv, then a framing error). The same happens
#      when two CPUs help one connection's packets at once (kmod/order.c).
#   8b. The same with a REGISTER that has nothing to rewrite (it names the
#      phone by a name): it goes first unchanged in length and moves no
#      correction point, but its bytes are the server's: the late INVITE
#      must keep its length all the same (passed_tcp_reordered). (Before:
#      the INVITE was rewritten and renumbered the REGISTER's bytes the
#      server had already.)
#   8c. An INVITE in 2 segments whose second carries the phone's FIN and
#      comes first: held after the gap with its FIN, joined, rewritten.
#   8d. 8b's INVITE sent again, with the REGISTER, in one segment by the
#      phone's timer (the server's acknowledgments lost on their way to
#      the phone): the server acknowledged the INVITE, so it went on
#      before, unchanged, and the segment keeps its length.
#   8e. A REGISTER rewritten (its change sets the correction point), a
#      late INVITE that keeps its length behind a keep-alive, all three
#      sent again in one segment by the phone's timer: that segment
#      begins at the point and may change its length by what the point
#      recorded, no more: the INVITE in it keeps its length again.
#   9. A message given up, and the next one on its connection: an
#      INVITE's last segment is lost before the router twice (the phone's
#      tail loss probe too), so the phone's timer sends its first segment
#      again. The router acknowledges what it holds itself (tcp_split_acked),
#      but those ACKs are dropped on their way (as for a phone that does
#      not take them), so the phone sends it a third time and the router
#      gives the INVITE up (resent): it passes as sent, the held bytes in
#      place of that copy. Its headers were held, so the router knows where it ends: the
#      stream is at a message boundary there, and the REGISTER after it,
#      its first segment late, is held and rewritten. (Before, the stream
#      counted as inside a message until a segment began one: the
#      REGISTER's second segment passed, then its late first one,
#      "overtaken", and the server got both messages unmodified.)
#      The same when the router held only the INVITE's first segment,
#      which ends inside its headers (its second lost once, its last
#      twice): the second, sent again, passes and completes the headers it
#      kept, which say where the INVITE ends (tcp_split_end_found). (Before,
#      its end was unknown, and the late REGISTER passed, "overtaken".)
#   10. A phone whose round trip is 1.5 s: its INVITE's last segment lost
#      before the router, sent again by its tail loss probe 3 s later,
#      within the router's 4 s hold: joined and rewritten.
# Before this (sipalg giving up on any gap, "overtaken"), every one of
# these messages passed unmodified and the test fails at its first check.
. "$(dirname "$0")/lib.sh"

ROUTER_WAN6=2001:db8:2::1
tcp_values=("${CALL_VALUES[@]}" --set transport=TCP)

# hold_back DEV [FILTER...]: the router's tc filters on DEV's way in, in
# order, each "PROTO ACTION U32-MATCHES": ACTION late holds the packet
# back 40 ms, pass lets it on at once (and ends the list for it); packets
# no filter picks go on at once. "hold_back DEV" alone removes them
# (HOLD_NETEM: the ifb's netem instead of "delay 40ms"). The
# u32 offsets count from the IP header: TCP ports at 20/22 (IPv4) and
# 40/42 (IPv6), and its payload at 52 and 72 (every
# segment here carries the 12-byte timestamps option).
hold_back() {
	local dev=$1 prio=1 filter proto action match
	shift
	in_rtr tc qdisc del dev "$dev" ingress 2>/dev/null
	in_rtr ip link del "ifb-$dev" 2>/dev/null
	[ $# = 0 ] && return
	in_rtr ip link add "ifb-$dev" type ifb &&
		in_rtr ip link set "ifb-$dev" up &&
		in_rtr tc qdisc add dev "ifb-$dev" root netem ${HOLD_NETEM:-delay 40ms} &&
		in_rtr tc qdisc add dev "$dev" handle ffff: ingress || fail "tc on $dev failed"
	for filter in "$@"; do
		read -r proto action match <<<"$filter"
		[ "$action" = late ] && action="mirred egress redirect dev ifb-$dev"
		# shellcheck disable=SC2086 # the matches are words
		in_rtr tc filter add dev "$dev" parent ffff: protocol "$proto" prio $prio u32 \
			$match action $action || fail "tc filter $filter on $dev failed"
		prio=$((prio + 1))
	done
}

# copy_in DEV MATCHES: the IPv4 packets the u32 MATCHES pick on DEV's way
# in go through hold_back's ifb with a netem that sends each on twice: a
# copy the network made, as a duplicating link would. "copy_in DEV" alone
# removes it.
copy_in() {
	if [ $# = 1 ]; then
		hold_back "$1"
	else
		HOLD_NETEM="duplicate 100%" hold_back "$1" "ip late $2"
	fi
}

TO_5060='match u16 5060 0xffff at 22'
FROM_5060='match u16 5060 0xffff at 20'
INVITE_FIRST="$TO_5060 match u32 0x494e5649 0xffffffff at 52" # "INVI"
REPLY_FIRST="$FROM_5060 match u32 0x5349502f 0xffffffff at 52" # "SIP/"
INVITE6_FIRST='match u16 5060 0xffff at 42 match u32 0x494e5649 0xffffffff at 72'

# lose_once NS [FIRST...]: namespace NS drops, at its raw prerouting
# (before conntrack), the first packet of each connection to port 5060
# whose payload begins with the 4 bytes FIRST (hex; "INVI" by default), for
# each FIRST; lost_once NS: exactly one was dropped for each.
lose_once() {
	local ns=$1 first sets="" rules="" k=0
	shift
	[ $# -gt 0 ] || set -- 0x494e5649
	for first in "$@"; do
		k=$((k + 1))
		sets+="set seen$k { type inet_service; flags dynamic; }"$'\n'
		rules+="tcp dport 5060 @th,256,32 $first tcp sport != @seen$k update @seen$k { tcp sport } counter drop"$'\n'
	done
	ip netns exec "$ns" nft -f - <<-NFT || fail "nft lose_once in $ns failed"
	table inet lose_once {
		$sets
		chain pre {
			type filter hook prerouting priority raw;
			$rules
		}
	}
	NFT
}
lost_once() {
	local rules
	rules=$(ip netns exec "$1" nft list table inet lose_once)
	[ "$(grep -c "counter packets 1 " <<<"$rules")" = "$(grep -c "counter packets" <<<"$rules")" ]
}
# lose_twice NS FIRST: the same, the first two such packets (a segment
# and the sender's first retransmission of it; table lose_twice);
# lost_twice NS: exactly two were dropped.
lose_twice() {
	ip netns exec "$1" nft -f - <<-NFT || fail "nft lose_twice in $1 failed"
	table inet lose_twice {
		set once { type inet_service; flags dynamic; }
		set twice { type inet_service; flags dynamic; }
		chain pre {
			type filter hook prerouting priority raw;
			tcp dport 5060 @th,256,32 $2 tcp sport != @once update @once { tcp sport } counter drop
			tcp dport 5060 @th,256,32 $2 tcp sport != @twice update @twice { tcp sport } counter drop
		}
	}
	NFT
}
lost_twice() { [ "$(ip netns exec "$1" nft list table inet lose_twice | grep -c "counter packets 1 ")" = 2 ]; }

# acks_lost PORT N LENGTH: the phone's namespace drops, at its raw
# prerouting (the router saw them on their way), the first N
# acknowledgments without data that the server sends to the phone's PORT,
# and counts the segments of IP LENGTH that the phone sends from PORT (its
# messages sent again in one segment: their bytes and 52 of headers with
# timestamps); acks_lost_all_sent N: all N were dropped, and the phone
# sent such a segment. (A table of its own, removed with acks_lost_done.)
acks_lost() {
	local k rules="" sets=""
	for k in $(seq "$2"); do
		sets+="set a$k { type inet_service; flags dynamic; }"$'\n'
		rules+="tcp sport 5060 tcp dport $1 tcp flags & (syn | fin | rst) == 0 ip length < 100 tcp dport != @a$k update @a$k { tcp dport } counter drop"$'\n'
	done
	ip netns exec lan nft -f - <<-NFT || fail "nft acks_lost in lan failed"
	table inet acks_lost {
		$sets
		chain pre {
			type filter hook prerouting priority raw;
			$rules
		}
		chain out {
			type filter hook output priority raw;
			tcp sport $1 ip length $3 counter
		}
	}
	NFT
}
acks_lost_all_sent() {
	local rules
	rules=$(ip netns exec lan nft list table inet acks_lost)
	[ "$(grep -c "counter packets 1 .* drop" <<<"$rules")" = "$1" ] &&
		! grep -q "ip length [0-9]* counter packets 0 " <<<"$rules"
}
acks_lost_done() { ip netns exec lan nft delete table inet acks_lost; }
# size FILE: its length in bytes.
size() { stat -c %s "$1"; }
# bytes_at FILE OFFSET: the 4 bytes (hex) at OFFSET of FILE.
bytes_at() { echo "0x$(tail -c +"$(($2 + 1))" "$1" | head -c 4 | od -An -tx1 | tr -d ' \n')"; }

# video_values PORT: the values invite() fills its INVITE with (in the
# caller's array "values").
video_values() {
	values=("${tcp_values[@]}" --set rtp_port=$((40000 + 10 * ($1 - 5070)))
		--set video_port=$((40002 + 10 * ($1 - 5070))))
}

# invite DIR N PORT [SEND-OPTION...]: an INVITE (audio + video, 1.3 KB) in
# N segments from the phone's PORT (sipua send with the options too);
# what the server got is saved in DIR/wan.
invite() {
	local dir=$1 n=$2 port=$3 values
	shift 3
	video_values "$port"
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	in_lan $SIPUA send --tcp --segments "$n" --bind $PHONE:"$port" --to $SERVER:5060 \
		--save "$dir/lan.sip" "$@" "${values[@]}" "$VM_DIR/msgs/invite-video.sip" \
		>/dev/null || fail "$dir: no reply to the INVITE"
	wait || fail "$dir: the server did not get the INVITE: $(cat "$dir/server.log")"
}

# segment_first PORT N K: the first 4 payload bytes (hex) of segment K of
# the N invite() sends from PORT (sipua --segments cuts a message into
# pieces of its length / N, rounded up); second_segment PORT: a u32 match
# of them for the second of 3.
segment_first() {
	local values
	video_values "$1"
	$SIPUA fill "${values[@]}" "$VM_DIR/msgs/invite-video.sip" | $PY -c '
import sys
b = sys.stdin.buffer.read()
o = -(-len(b) // int(sys.argv[1])) * (int(sys.argv[2]) - 1)
print(f"0x{b[o:o + 4].hex()}")' "$2" "$3"
}
second_segment() { echo "match u32 $(segment_first "$1" 3 2) 0xffffffff at 52"; }
# invite_at OFFSET: the 4 bytes (hex) at OFFSET of the INVITE
# two_messages() sends (its MSS 300 cuts it into segments of 288 bytes).
invite_at() { bytes_at <($SIPUA fill "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip") "$1"; }

# stream_server DIR [close]: the server takes one connection (in the
# background: wait for it) and saves what it got until the phone closed
# (or 5 s of silence) in DIR/got; with close, it closes its side of the
# connection first, as soon as it is made.
stream_server() {
	local dir=$1
	in_wan $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5060)); s.listen(1); print("ready", flush=True)
s.settimeout(10); c, _ = s.accept(); c.settimeout(5)
if len(sys.argv) > 3:
    c.shutdown(socket.SHUT_WR)
got = b""
try:
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += b
except socket.timeout:
    pass
open(sys.argv[2], "wb").write(got)' "$SERVER" "$dir/got" "${@:2}" >"$dir/server.log" 2>&1 &
	wait_ready "$dir/server.log"
}

# The end of a phone's script (Python, socket s): it waits until the
# server closes, or 8 s of silence.
PHONE_WAITS='
s.settimeout(8)
try:
    while s.recv(65536):
        pass
except socket.timeout:
    pass'

# phone_writes ADDRESS PORT MSS PAUSE LINGER FILE...: the phone, from
# ADDRESS:PORT, writes each FILE whole on its own on one connection to the
# server (TCP_NODELAY, TCP_MAXSEG MSS unless 0), PAUSE seconds apart, and
# closes LINGER seconds after the last; then waits (PHONE_WAITS).
phone_writes() {
	in_lan $PY -c '
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if int(sys.argv[4]):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, int(sys.argv[4]))
s.connect((sys.argv[3], 5060))
for k, name in enumerate(sys.argv[7:]):
    if k:
        time.sleep(float(sys.argv[5]))
    s.sendall(open(name, "rb").read())
time.sleep(float(sys.argv[6]))
s.shutdown(socket.SHUT_WR)
'"$PHONE_WAITS" "$1" "$2" "$SERVER" "$3" "$4" "$5" "${@:6}"
}

# two_messages_files DIR [NAMES]: the INVITE and the REGISTER of
# two_messages (below) in DIR.
two_messages_files() {
	mkdir -p "$1"
	$SIPUA fill "${tcp_values[@]}" --set expires=60 "$VM_DIR/msgs/register.sip" >"$1/register.sip"
	[ -z "${2:-}" ] || sed -i "/^\(Via\|Contact\):/s/$PHONE/$2/" "$1/register.sip"
	$SIPUA fill "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip" >"$1/invite.sip"
}

# two_messages DIR PORT [MSS [PAUSE [NAMES [LINGER]]]]: an INVITE and then
# a REGISTER from the phone's PORT on one connection, each written whole on
# its own (TCP_NODELAY, PAUSE seconds apart, 0.02 by default: two
# segments, or more with an MSS); the phone closes LINGER seconds later
# (0 by default); what the server got until the phone closed (or 5 s of
# silence) is saved in DIR/got. NAMES: the REGISTER's Via and Contact
# name the phone by NAMES instead of its address (it has nothing the ALG
# rewrites). With KERNEL_RUN set, a phone or server whose connection was
# reset is not a failure (the kernel helper's results are reported, not
# asserted).
two_messages() {
	local dir=$1 port=$2 mss=${3:-0} pause=${4:-0.02} names=${5:-} linger=${6:-0}
	two_messages_files "$dir" "$names"
	stream_server "$dir"
	phone_writes "$PHONE" "$port" "$mss" "$pause" "$linger" "$dir/invite.sip" "$dir/register.sip" ||
		[ -n "${KERNEL_RUN:-}" ] || fail "$dir: the phone could not send"
	wait || [ -n "${KERNEL_RUN:-}" ] || fail "$dir: the server failed: $(cat "$dir/server.log")"
}

# invite_with_fin DIR PORT MSS: an INVITE from the phone's PORT, written
# corked with the phone's shutdown, so its last segment carries the FIN;
# what the server got is saved in DIR/got.
invite_with_fin() {
	local dir=$1 port=$2 mss=$3
	mkdir -p "$dir"
	$SIPUA fill "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip" >"$dir/invite.sip"
	stream_server "$dir"
	in_lan $PY -c '
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, int(sys.argv[5]))
s.connect((sys.argv[3], 5060))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
s.sendall(open(sys.argv[4], "rb").read()); s.shutdown(socket.SHUT_WR)
'"$PHONE_WAITS" "$PHONE" "$port" "$SERVER" "$dir/invite.sip" "$mss" ||
		fail "$dir: the phone could not send"
	wait || fail "$dir: the server failed: $(cat "$dir/server.log")"
}

# messages_in FILE [ADDRESS]: each whole message in FILE (framed by its
# Content-Length) as "METHOD private|public" (whether it names the phone,
# or ADDRESS, outside its Call-ID), then "bad" if bytes are left that are
# not one.
messages_in() {
	$PY - "$1" "${2:-$PHONE}" <<-'PY'
	import re, sys
	data, phone = open(sys.argv[1], "rb").read(), sys.argv[2].encode()
	off = 0
	while off < len(data):
	    head = data.find(b"\r\n\r\n", off)
	    m = head >= 0 and re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", data[off:head])
	    if not m or head + 4 + int(m.group(1)) > len(data):
	        print("bad")
	        break
	    end = head + 4 + int(m.group(1))
	    text = re.sub(rb"(?im)^(?:call-id|i)[ \t]*:.*$", b"", data[off:end])
	    print(data[off:end].split(b" ")[0].decode(errors="replace"),
	          "private" if phone in text else "public")
	    off = end
	PY
}

# rewritten FILE ADDRESS:PORT SDP-ADDRESS WHAT: no private address:port
# (the Call-ID keeps the phone's address: not the ALG's to change), no
# private SDP address, Content-Length exact.
rewritten() {
	expect_not_in "$1" "$2" "$4: no private address:port left"
	expect_not_in "$1" "$3" "$4: no private SDP address left"
	content_length_exact "$1" || fail "$4: Content-Length is not the body's length"
	say "ok: $4: rewritten, Content-Length exact"
}

topology_up
offloads_off gso off
in_rtr nft add rule inet nat_router postrouting oifname "rtr-wan" ip6 saddr 2001:db8:1::/64 masquerade

# 7. The kernel's helper, for comparison.
use_kernel_helper
hold_back rtr-lan "ip late $INVITE_FIRST"
invite "$WORK/kernel" 3 5070
if grep -q "$PHONE:\|IN IP4 $PHONE" "$WORK/kernel/wan/000.sip"; then
	kernel_result="left the private address in the INVITE whose first segment came last"
else
	kernel_result="rewrote the INVITE whose first segment came last"
fi
hold_back rtr-lan "ip late $INVITE_FIRST"
two_messages "$WORK/kernel-two" 5079
kernel_two=$(messages_in "$WORK/kernel-two/got" | xargs)
hold_back rtr-lan "ip late $INVITE_FIRST"
KERNEL_RUN=1 two_messages "$WORK/kernel-two-unchanged" 5088 0 0.02 fanvil.invalid
[ ! -s "$WORK/kernel-two-unchanged/got" ] ||
	kernel_two_unchanged=$(messages_in "$WORK/kernel-two-unchanged/got" | xargs)
kernel_helper_to_sipalg
counter() { sipalg_stat rtr "$@"; }
# held_after_gap WHAT: the router held bytes after a gap since last asked
# (the segments really came out of order).
gaps_seen=0
held_after_gap() {
	local now
	now=$(counter tcp_split_out_of_order)
	[ "$now" -gt "$gaps_seen" ] || fail "$1: the router saw no gap: the reordering did not happen"
	gaps_seen=$now
}

# phone_tcp COUNTER...: the phone's TCP counters (nstat), in nstat's
# order (Tcp* before TcpExt*, ...), not the arguments'.
phone_tcp() {
	local name value
	while read -r name value _; do
		[ "${name:0:1}" = "#" ] || echo "$value"
	done < <(in_lan nstat -az "$@") | xargs
}
# ask_from_now; asked_for WHAT: since ask_from_now, the router asked the
# phone for what was missing (tcp_split_asked), and the phone, told, sent
# it again in a SACK recovery, not after its retransmission timer.
ask_from_now() {
	read -r sack_recoveries timeouts < <(phone_tcp TcpExtTCPSackRecovery TcpExtTCPTimeouts)
	asked=$(counter tcp_split_asked)
}
asked_for() {
	local now_asked now_recoveries now_timeouts
	now_asked=$(counter tcp_split_asked)
	read -r now_recoveries now_timeouts < <(phone_tcp TcpExtTCPSackRecovery TcpExtTCPTimeouts)
	[ "$now_asked" -gt "$asked" ] || fail "$1: the router did not ask the phone for what was missing (tcp_split_asked)"
	[ "$now_recoveries" -gt "$sack_recoveries" ] ||
		fail "$1: the phone did not send again what was missing (TcpExtTCPSackRecovery)"
	[ "$now_timeouts" = "$timeouts" ] || fail "$1: the phone's retransmission timer fired"
	say "ok: $1: the router asked, the phone sent what was missing at once"
}

# 1. 2, 3, 1.
invite "$WORK/first-last" 3 5071

rewritten "$WORK/first-last/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE in 3 segments, the first last"
expect_in "$WORK/first-last/wan/000.sip" "c=IN IP4 $ROUTER_WAN" "its SDP names the router"
held_after_gap "INVITE, the first segment last"

# 2. 1, 3, 2; then 2, ..., 10, 1.
hold_back rtr-lan "ip late $TO_5060 $(second_segment 5072)"
invite "$WORK/middle-last" 3 5072
rewritten "$WORK/middle-last/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE in 3 segments, the middle last"
held_after_gap "INVITE, the middle segment last"
hold_back rtr-lan "ip late $INVITE_FIRST"
invite "$WORK/ten" 10 5073
rewritten "$WORK/ten/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE in 10 segments, the first last"
held_after_gap "INVITE in 10 segments"
hold_back rtr-lan

# 3. The reply: 2, 3, 1.
hold_back rtr-wan "ip late $REPLY_FIRST"
tcp_split_reply "$WORK/reply" 5074 40300
expect_in "$WORK/reply/lan-reply.sip" "Via: SIP/2.0/TCP $PHONE:5060" \
	"200 OK in 3 segments, the first last: the phone's Via restored"
content_length_exact "$WORK/reply/lan-reply.sip" || fail "200 OK: Content-Length wrong"
held_after_gap "200 OK, the first segment last"
hold_back rtr-wan

# 4. IPv6, 2, 3, 1.
hold_back rtr-lan "ipv6 late $INVITE6_FIRST"
ask_from_now
tcp_invite6 "$WORK/ipv6" 5075
rewritten "$WORK/ipv6/wan/000.sip" "[$PHONE6]:" "IN IP6 $PHONE6" "IPv6 INVITE in 3 segments, the first last"
expect_in "$WORK/ipv6/wan/000.sip" "c=IN IP6 $ROUTER_WAN6" "its SDP names the router"
held_after_gap "IPv6 INVITE"
asked_for "IPv6 INVITE"
hold_back rtr-lan

# 5. Lost once before the router: dropped the first time it comes.
ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(ms)
invite "$WORK/not-lost" 3 5077
took_whole=$(($(ms) - start))
lose_once rtr
ask_from_now
start=$(ms)
invite "$WORK/lost" 3 5076
took=$(($(ms) - start))
lost_once rtr || fail "the first segment was not dropped once"
rewritten "$WORK/lost/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE whose first segment was lost before the router"
held_after_gap "INVITE, the first segment lost"
asked_for "INVITE, the first segment lost"
say "the call with the lost segment took $took ms, one without $took_whole ms (reported)"
ip netns exec rtr nft delete table inet lose_once

# 5b. Joined from a late first segment, then lost after the router (the
# server's raw prerouting drops it once): the phone sends again, and the
# router rebuilds the whole message from what it kept, rewritten as the
# first time (tcp_split_rebuilt), so the server's stream stays whole.
hold_back rtr-lan "ip late $INVITE_FIRST"
lose_once wan
rebuilt0=$(counter tcp_split_rebuilt)
invite "$WORK/lost-after" 3 5078
lost_once wan || fail "the joined INVITE was not dropped once"
rewritten "$WORK/lost-after/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" \
	"INVITE joined after a gap, lost after the router, sent again"
[ "$(counter tcp_split_rebuilt)" -gt "$rebuilt0" ] || fail "the resent INVITE was not rebuilt"
held_after_gap "INVITE joined, then lost after the router"
say "ok: the resent INVITE was rebuilt from what the router kept"
ip netns exec wan nft delete table inet lose_once
hold_back rtr-lan

# 5c. A middle segment lost before the router: the router asks for it.
lose_once rtr "$(segment_first 5081 10 5)"
ask_from_now
mkdir -p "$WORK/middle-lost"
sip_capture_start "$WORK/middle-lost" # (kept when the test fails)
start=$(ms)
invite "$WORK/middle-lost" 10 5081
took=$(($(ms) - start))
sip_capture_stop
lost_once rtr || fail "the fifth segment was not dropped once"
rewritten "$WORK/middle-lost/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" \
	"INVITE whose fifth of 10 segments was lost before the router"
held_after_gap "INVITE, a middle segment lost"
asked_for "INVITE, a middle segment lost"
say "the call with the lost middle segment took $took ms, one without $took_whole ms (reported)"
ip netns exec rtr nft delete table inet lose_once

# dsack_lost NAME PORT WHAT FIRST...: an INVITE in 3 segments from PORT,
# those of its segments that begin with FIRST... lost once before the
# router: it arrives rewritten, the router asked, and the phone was told
# that its first segment, sent again, came twice (a D-SACK).
dsack_lost() {
	local name=$1 port=$2 what=$3 dsacks
	shift 3
	lose_once rtr "$@"
	ask_from_now
	dsacks=$(phone_tcp TcpExtTCPDSACKOfoRecv)
	invite "$WORK/$name" 3 "$port"
	lost_once rtr || fail "$what: not dropped once each"
	rewritten "$WORK/$name/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE, $what before the router"
	held_after_gap "INVITE, $what"
	asked_for "INVITE, $what"
	[ "$(phone_tcp TcpExtTCPDSACKOfoRecv)" -gt "$dsacks" ] ||
		fail "$what: the phone got no D-SACK for its first segment sent again"
	say "ok: $what: the phone was told its first segment came twice (D-SACK)"
	ip netns exec rtr nft delete table inet lose_once
}

# 5d. The middle of 3 segments lost before the router: the router holds
# the first and the third. Told of the third, the phone sends the first
# again (a SACK block cannot begin where the acknowledgment ends), and its
# recovery would send nothing more; the router reports that copy as a
# duplicate (a D-SACK, which the phone counts as TcpExtTCPDSACKOfoRecv),
# and the phone's recovery counts it as delivered and sends the second.
dsack_lost middle-of-3-lost 5082 "the middle of 3 lost" "$(segment_first 5082 3 2)"

# 5e. The first two of 3 segments lost before the router: the router holds
# the third and tells the phone (a SACK), and the phone sends the first
# again. That one begins the message, but a SACK block cannot begin where
# the acknowledgment ends, so its recovery would have no credit to send
# the second; the router reports the first as a duplicate too (a D-SACK),
# and the phone sends the second. (Before: its timer sent the first again,
# "resent", and the INVITE passed unmodified.)
dsack_lost first-two-lost 5083 "the first two of 3 lost" 0x494e5649 "$(segment_first 5083 3 2)"

# 5f. A joined INVITE whose sender sends a segment of it again: the
# phone's namespace drops the server's first acknowledgment, so the phone
# probes with its last segment (a tail loss probe), which the router
# rebuilds into the whole message (tcp_split_rebuilt). The server had it:
# it reports the whole message as a duplicate (a D-SACK of 3 segments),
# and the router narrows that report to the segment the phone sent again
# (tcp_split_dsack_narrowed), as the server would have reported it, had
# it got only that. The phone counts it, 1 duplicate for 1 segment sent
# again (TcpExtTCPDSACKRecvSegs). (Before: 3 duplicates for 1, which
# Linux ignores as dubious, TcpExtTCPDSACKIgnoredDubious, and once the
# duplicates outnumber what a sender sent again it ignores every D-SACK,
# the router's own too: in t-sipalg-tcp-loss all but one of the phone's.)
two_messages_files "$WORK/probe-rebuilt"
acks_lost 5092 1 0
read -r rebuilt0 narrowed0 < <(counter tcp_split_rebuilt tcp_split_dsack_narrowed)
segs0=$(phone_tcp TcpExtTCPDSACKRecvSegs)
dubious0=$(phone_tcp TcpExtTCPDSACKIgnoredDubious)
retrans0=$(phone_tcp TcpRetransSegs)
stream_server "$WORK/probe-rebuilt"
phone_writes $PHONE 5092 300 0 1 "$WORK/probe-rebuilt/invite.sip"
wait
[ "$(ip netns exec lan nft list table inet acks_lost | grep -c "counter packets 1 .* drop")" = 1 ] ||
	fail "the server's first acknowledgment of the INVITE was not dropped once"
acks_lost_done
read -r rebuilt narrowed < <(counter tcp_split_rebuilt tcp_split_dsack_narrowed)
segs=$(phone_tcp TcpExtTCPDSACKRecvSegs)
dubious=$(phone_tcp TcpExtTCPDSACKIgnoredDubious)
retrans=$(phone_tcp TcpRetransSegs)
got=$(messages_in "$WORK/probe-rebuilt/got" | xargs)
[ "$got" = "INVITE public" ] || fail "INVITE probed again: the server got '$got', not the INVITE rewritten"
[ "$retrans" -gt "$retrans0" ] && [ "$rebuilt" -gt "$rebuilt0" ] ||
	fail "the phone sent nothing again (TcpRetransSegs $retrans0 -> $retrans), or the router rebuilt nothing (tcp_split_rebuilt $rebuilt0 -> $rebuilt)"
[ "$dubious" = "$dubious0" ] && [ $((segs - segs0)) = $((retrans - retrans0)) ] ||
	fail "the phone sent $((retrans - retrans0)) segment(s) again and counted $((segs - segs0)) duplicate(s) (TcpExtTCPDSACKRecvSegs), $((dubious - dubious0)) D-SACK(s) ignored as dubious"
[ "$narrowed" -gt "$narrowed0" ] ||
	fail "the server's report of the rebuilt INVITE was not narrowed (tcp_split_dsack_narrowed $narrowed0 -> $narrowed)"
say "ok: a segment of a joined INVITE sent again: rebuilt, and the server's report of it narrowed to that segment, which the phone counts ($((segs - segs0)) duplicate for $((retrans - retrans0)) sent again)"

# 5g. The first two of 3 segments late (40 ms), not lost: the router holds
# the third and tells the phone (a SACK), and the first comes next, the
# phone's own, sent before the third (the phone's RACK is off, so nothing
# but its tail loss probe of the third is sent again meanwhile). Its
# sender sent it once: the router does not report it as a duplicate (its
# timestamp and IPv4 identification say it was sent before the third), and
# the phone ignores none of its D-SACKs as dubious. (Before: it was
# reported as a duplicate too, as a first segment sent again is, and the
# phone, told of a duplicate it never sent, ignored it and counted it
# against every D-SACK after it.)
in_lan sysctl -qw net.ipv4.tcp_recovery=0 || fail "cannot turn the phone's RACK off"
hold_back rtr-lan "ip late $INVITE_FIRST" "ip late $(second_segment 5093)"
dubious0=$(phone_tcp TcpExtTCPDSACKIgnoredDubious)
invite "$WORK/late-two" 3 5093
hold_back rtr-lan
in_lan sysctl -qw net.ipv4.tcp_recovery=1
rewritten "$WORK/late-two/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" "INVITE, the first two of 3 segments late"
held_after_gap "INVITE, the first two of 3 segments late"
dubious=$(phone_tcp TcpExtTCPDSACKIgnoredDubious)
[ "$dubious" = "$dubious0" ] ||
	fail "the first two of 3 segments late: $((dubious - dubious0)) D-SACK(s) the phone ignored as dubious (reported as sent twice, sent once)"
say "ok: the first two of 3 segments late: the first, sent once, not reported as a duplicate"

# 5h. A gap after many rewrites on one connection. From a phone whose
# address is 2 bytes longer than the router's, 40 REGISTERs with 12
# Contacts each, each rewritten 26 bytes shorter, so that the stream has
# shrunk by more than a REGISTER is long; then a 2.4 KB INVITE whose
# second segment is lost before the router. The router holds the rest and
# asks the phone for what is missing (SACKs, and a D-SACK of the first
# segment sent again, as in 5d), with the acknowledgment the phone had
# from the server. Conntrack keeps that acknowledgment in the phone's
# numbers too, but once the stream has moved further than the last
# message is long it takes it at the wrong side of the last correction
# point: 26 bytes below what the phone had. To Linux an ACK below that is
# an old one, whose D-SACK gives its recovery no credit: its timer sent
# the first segment again, the router gave up (resent), and the INVITE
# passed unmodified. The router numbers it as the sequence adjustment
# does: the REGISTERs are whole, so it held nothing of the connection
# before the INVITE and saw none of the server's acknowledgments; it
# corrects conntrack's number.
LONG_PHONE=192.168.0.100
in_lan ip addr add $LONG_PHONE/24 dev lan0 || fail "cannot add $LONG_PHONE to the phone"
# gap_after_shrink PORT MSS: the scenario, from the phone's PORT with its
# TCP_MAXSEG MSS.
gap_after_shrink() {
	local port=$1 mss=$2 dir=$WORK/gap-after-shrink registers=() values k got shrunk dsacks
	mkdir -p "$dir"
	$SIPUA fill "${tcp_values[@]}" --set phone=$LONG_PHONE --set expires=60 \
		"$VM_DIR/msgs/register.sip" >"$dir/register.sip"
	for k in $(seq 40); do
		$PY - "$dir/register.sip" "$k" >"$dir/register-$k.sip" <<-'PY'
		import sys
		text, k = open(sys.argv[1], "rb").read(), int(sys.argv[2])
		head, _, tail = text.partition(b"Contact: <sip:011@")
		contact, _, rest = tail.partition(b"\r\n")
		text = head + b"".join(b"Contact: <sip:%03d@" % (10 + n) + contact + b"\r\n"
		                       for n in range(12)) + rest
		sys.stdout.buffer.write(text.replace(b"CSeq: 1 ", b"CSeq: %d " % k))
		PY
		registers+=("$dir/register-$k.sip")
	done
	video_values "$port"
	$SIPUA fill "${values[@]}" --set phone=$LONG_PHONE "$VM_DIR/msgs/invite-video.sip" |
		$PY -c '
import re, sys
head, _, body = sys.stdin.buffer.read().partition(b"\r\n\r\n")
body += b"".join(b"a=x-pad-%02d:%s\r\n" % (k, b"0123456789" * 4) for k in range(20))
head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
sys.stdout.buffer.write(head + b"\r\n\r\n" + body)' >"$dir/invite.sip"
	# (Segments of MSS - 12 bytes: the timestamps option.)
	lose_once rtr "$(bytes_at "$dir/invite.sip" $((mss - 12)))"
	dsacks=$(phone_tcp TcpExtTCPDSACKOfoRecv)
	ask_from_now
	stream_server "$dir"
	phone_writes $LONG_PHONE "$port" "$mss" 0.05 1 "${registers[@]}" "$dir/invite.sip" ||
		fail "$dir: the phone could not send"
	wait || fail "$dir: the server failed: $(cat "$dir/server.log")"
	lost_once rtr || fail "MSS $mss: the INVITE's second segment after 40 REGISTERs was not dropped once"
	ip netns exec rtr nft delete table inet lose_once
	got=$(messages_in "$dir/got" $LONG_PHONE | sort | uniq -c | xargs)
	[ "$got" = "1 INVITE public 40 REGISTER public" ] ||
		fail "MSS $mss: 40 REGISTERs and an INVITE whose second segment was lost: the server got '$got', not all rewritten"
	# The condition: before the INVITE, the stream shrank by more than
	# the last REGISTER is long.
	shrunk=$(($(cat "${registers[@]}" | wc -c) - $(grep -abo "^INVITE " "$dir/got" | cut -d: -f1)))
	[ "$shrunk" -gt "$(size "$dir/register-40.sip")" ] ||
		fail "MSS $mss: the REGISTERs shrank the stream by $shrunk bytes, not more than one is long ($(size "$dir/register-40.sip")): no test"
	held_after_gap "MSS $mss: INVITE after 40 rewritten REGISTERs, its second segment lost"
	asked_for "MSS $mss: INVITE after the stream shrank by $shrunk bytes, its second segment lost"
	[ "$(phone_tcp TcpExtTCPDSACKOfoRecv)" -gt "$dsacks" ] ||
		fail "MSS $mss, after 40 REGISTERs: the phone got no D-SACK for its first segment sent again"
	say "ok: MSS $mss: the router's ACKs carried what the phone had acknowledged, and its D-SACK gave the phone's recovery the credit to send the missing segment"
}
gap_after_shrink 5094 1000
in_lan ip addr del $LONG_PHONE/24 dev lan0

# 5i. A copy the network made. A REGISTER in 2 segments whose second the
# phone's link delivers twice (the same segment, its timestamp and IPv4
# identification the same), then an INVITE in 3 segments whose middle one
# is lost before the router, as in 5d. The router drops the copy
# (tcp_split_network_copies): the phone sent that segment once. Taken for the
# phone's own, it rebuilt the joined REGISTER, whose copy the server
# reported as a duplicate (a D-SACK), and the phone, which had sent
# nothing again, counted one duplicate more than it had sent: once they
# outnumber what it sent again, Linux ignores every D-SACK on the
# connection, the router's too, so for the INVITE its recovery had no
# credit for the middle segment, its timer sent the first again, and the
# router gave the INVITE up (resent; in t-sipalg-tcp-loss, with 2% of
# segments copied, most of what was still given up).
dir=$WORK/network-copy
two_messages_files "$dir"
copy_in rtr-lan "$TO_5060 match u32 $(bytes_at "$dir/register.sip" 288) 0xffffffff at 52 match u32 $(bytes_at "$dir/register.sip" 292) 0xffffffff at 56"
lose_once rtr "$(bytes_at "$dir/invite.sip" 288)"
copies0=$(counter tcp_split_network_copies)
dubious0=$(phone_tcp TcpExtTCPDSACKIgnoredDubious)
ask_from_now
stream_server "$dir"
phone_writes $PHONE 5096 300 0.3 1 "$dir/register.sip" "$dir/invite.sip" ||
	fail "$dir: the phone could not send"
wait || fail "$dir: the server failed: $(cat "$dir/server.log")"
copy_in rtr-lan
lost_once rtr || fail "the INVITE's middle segment was not dropped once"
ip netns exec rtr nft delete table inet lose_once
got=$(messages_in "$dir/got" | xargs)
[ "$got" = "REGISTER public INVITE public" ] ||
	fail "a REGISTER segment copied by the network, then an INVITE's middle segment lost: the server got '$got', not both rewritten"
[ "$(counter tcp_split_network_copies)" = $((copies0 + 1)) ] ||
	fail "tcp_split_network_copies went from $copies0 to $(counter tcp_split_network_copies), not by the one copy of the REGISTER's segment"
[ "$(phone_tcp TcpExtTCPDSACKIgnoredDubious)" = "$dubious0" ] ||
	fail "the phone ignored $(($(phone_tcp TcpExtTCPDSACKIgnoredDubious) - dubious0)) D-SACK(s) as dubious"
held_after_gap "INVITE after a copied REGISTER segment, its middle segment lost"
asked_for "INVITE after a copied REGISTER segment, its middle segment lost"
say "ok: a copy the network made is dropped, and the phone still believes the router's D-SACKs"

# 5j. Two CPUs at once. A REGISTER in 2 segments (held and joined: the
# connection's split state begins), then an INVITE in 3 whose segments
# conntrack sees before the first reaches sipalg's hook: the router's
# forward chain queues them, picked by their first payload bytes (a TCP
# header of 32 bytes: timestamps), and nfqueue_hold.py lets them go once
# all 3 have come, in order, 1 ms apart, as when the later ones are on
# their way on other CPUs. The first begins a message that the others
# end, and sipalg holds it: the split state records what went on.
# (Before, what conntrack had seen said the later bytes went on already:
# the first was taken for overtaken, and the INVITE passed unmodified.
# Without split state, conntrack's view still stands in: see README,
# Known limits.)
dir=$WORK/two-cpus
two_messages_files "$dir"
[ $((($(size "$dir/invite.sip") + 287) / 288)) = 3 ] ||
	fail "the INVITE is not 3 segments of 288 bytes"
firsts="$(bytes_at "$dir/invite.sip" 0), $(bytes_at "$dir/invite.sip" 288)"
firsts+=", $(bytes_at "$dir/invite.sip" 576)"
overtaken0=$(counter tcp_split_gave_up_overtaken)
in_rtr nft -f - <<-NFT || fail "nft queue rule failed"
	table inet two_cpus {
		chain forward {
			type filter hook forward priority 0;
			iifname "rtr-lan" tcp sport 5097 @th,256,32 { $firsts } queue num 7 bypass
		}
	}
NFT
in_rtr $PY "$VM_DIR/nfqueue_hold.py" 7 1 10 3 >"$dir/queue.log" 2>&1 &
wait_ready "$dir/queue.log"
stream_server "$dir"
phone_writes $PHONE 5097 300 0.3 1 "$dir/register.sip" "$dir/invite.sip" ||
	fail "$dir: the phone could not send"
wait || fail "$dir: the server or the queue failed: $(cat "$dir/server.log" "$dir/queue.log")"
in_rtr nft delete table inet two_cpus
grep -q "^held 3$" "$dir/queue.log" ||
	fail "the queue did not hold the INVITE's 3 segments: $(cat "$dir/queue.log")"
got=$(messages_in "$dir/got" | xargs)
[ "$got" = "REGISTER public INVITE public" ] ||
	fail "an INVITE whose later segments conntrack saw before its first reached sipalg: the server got '$got', not both rewritten"
[ "$(counter tcp_split_gave_up_overtaken)" = "$overtaken0" ] ||
	fail "the INVITE was taken for overtaken (tcp_split_gave_up_overtaken)"
say "ok: an INVITE whose later segments conntrack saw first (two CPUs): held and rewritten, not taken for overtaken"

# 8. Whole messages out of order: the INVITE comes after the REGISTER.
hold_back rtr-lan "ip late $INVITE_FIRST"
two_messages "$WORK/two" 5080
hold_back rtr-lan
got=$(messages_in "$WORK/two/got" | xargs)
[ "$got" = "INVITE private REGISTER public" ] ||
	fail "INVITE overtaken by a REGISTER: the server got '$got', not the INVITE as sent and the REGISTER rewritten"
[ "$(counter passed_tcp_reordered)" = 1 ] ||
	fail "passed_tcp_reordered is $(counter passed_tcp_reordered), not 1"
say "ok: an INVITE overtaken by a REGISTER on its connection passes as sent (passed_tcp_reordered), the REGISTER rewritten, the stream whole"

# 8b. The same, but the REGISTER names the phone by name, not address: it
# passes first with its length unchanged and moves no correction point.
# Its bytes are the server's all the same, so the late INVITE must keep
# its length too (passed_tcp_reordered), else its change would renumber
# them. (Before: the INVITE was rewritten, and the server's stream lost
# or repeated as many bytes as it grew by at the REGISTER's start.)
hold_back rtr-lan "ip late $INVITE_FIRST"
two_messages "$WORK/two-unchanged" 5086 0 0.02 fanvil.invalid
hold_back rtr-lan
got=$(messages_in "$WORK/two-unchanged/got" | xargs)
[ "$got" = "INVITE private REGISTER public" ] ||
	fail "INVITE overtaken by a REGISTER with nothing to rewrite: the server got '$got', not both as sent"
grep -q "fanvil.invalid" "$WORK/two-unchanged/got" ||
	fail "the REGISTER did not reach the server as sent"
[ "$(counter passed_tcp_reordered)" = 2 ] ||
	fail "passed_tcp_reordered is $(counter passed_tcp_reordered), not 2"
say "ok: an INVITE overtaken by a REGISTER that keeps its length passes as sent (passed_tcp_reordered), the stream whole"

# 8c. The phone's FIN on the segment after the gap: an INVITE in 2
# segments, the second carrying the FIN, the first held back. The second
# begins inside the INVITE, so it is after a gap: held with its FIN, which
# goes on after the whole INVITE when the first comes. (Before: a segment
# with a FIN was never held after a gap; it passed, the late first one
# passed too, overtaken, and the INVITE reached the server unmodified.)
ooo=$(counter tcp_split_out_of_order)
hold_back rtr-lan "ip late $INVITE_FIRST"
invite_with_fin "$WORK/fin-after-gap" 5087 400
hold_back rtr-lan
got=$(messages_in "$WORK/fin-after-gap/got" | xargs)
[ "$got" = "INVITE public" ] ||
	fail "an INVITE whose FIN segment came first: the server got '$got', not the INVITE rewritten"
[ "$(counter tcp_split_out_of_order)" -gt "$ooo" ] ||
	fail "the INVITE's FIN segment was not held after the gap (tcp_split_out_of_order)"
rewritten "$WORK/fin-after-gap/got" "$PHONE:" "IN IP4 $PHONE" "INVITE in 2 segments, the second with the FIN first"

# 8d. The INVITE of 8b sent again together with the REGISTER after it.
# The phone's namespace drops the server's first 3 acknowledgments, so
# the phone's retransmission timer sends the INVITE again, and its stack
# collapses the REGISTER into that segment. The segment ends where the
# stream does: no byte after it went on, and the router holds nothing.
# Only the server's acknowledgment, which the router saw on its way,
# says that the INVITE went on before, unchanged: the segment keeps its
# length (passed_tcp_reordered again), and the stream stays whole.
# (Before: the INVITE was rewritten in it, its change became a new
# correction point that renumbered the REGISTER's bytes the server had,
# and the connection was reset.)
reordered=$(counter passed_tcp_reordered)
read -r timeouts < <(phone_tcp TcpExtTCPTimeouts)
two_messages_files "$WORK/sent-again" fanvil.invalid
acks_lost 5089 3 $((52 + $(size "$WORK/sent-again/invite.sip") + $(size "$WORK/sent-again/register.sip")))
hold_back rtr-lan "ip late $INVITE_FIRST"
two_messages "$WORK/sent-again" 5089 0 0.02 fanvil.invalid 1.5
hold_back rtr-lan
acks_lost_all_sent 3 ||
	fail "the phone did not send the INVITE and the REGISTER again in one segment after losing the server's acknowledgments:
$(ip netns exec lan nft list table inet acks_lost)"
acks_lost_done
got=$(messages_in "$WORK/sent-again/got" | xargs)
[ "$got" = "INVITE private REGISTER public" ] ||
	fail "INVITE and REGISTER sent again in one segment: the server got '$got', not both as sent"
[ "$(counter passed_tcp_reordered)" -ge $((reordered + 2)) ] ||
	fail "passed_tcp_reordered grew by $(($(counter passed_tcp_reordered) - reordered)), not 2: the segment sent again did not keep its length"
[ "$(phone_tcp TcpExtTCPTimeouts)" -gt "$timeouts" ] ||
	fail "the phone's retransmission timer did not fire"
say "ok: an INVITE that went on unchanged, sent again with the REGISTER after it, keeps its length (passed_tcp_reordered), the stream whole"

# 8e. A packet sent again at the correction point, with a message after
# the change's that went on unchanged in length. From a phone whose
# address is shorter than the router's (so every rewrite grows): a
# REGISTER (rewritten, its growth the correction point), an INVITE held
# back, and a keep-alive that overtakes it: the late INVITE keeps its
# length. The server's first 5 acknowledgments lost on their way to the
# phone, its timer sends all three again in one segment, which begins at
# the correction point: it may change its length by what the point
# recorded, the REGISTER's growth, and no more, so the INVITE in it keeps
# its length again. (Before: the INVITE grew too, nf_ct_seqadj_set()
# dropped that growth, and the server got the segment's last bytes again
# past its end.)
SHORT_PHONE=10.0.0.5
short_phone_net $SHORT_PHONE
dir=$WORK/at-point
mkdir -p "$dir"
$SIPUA fill "${tcp_values[@]}" --set phone=$SHORT_PHONE --set expires=60 \
	"$VM_DIR/msgs/register.sip" >"$dir/register.sip"
$SIPUA fill "${tcp_values[@]}" --set phone=$SHORT_PHONE "$VM_DIR/msgs/invite.sip" >"$dir/invite.sip"
printf '\r\n\r\n' >"$dir/keepalive"
reordered=$(counter passed_tcp_reordered)
acks_lost 5090 5 $((52 + $(size "$dir/register.sip") + $(size "$dir/invite.sip") + 4))
hold_back rtr-lan "ip late $INVITE_FIRST"
stream_server "$dir"
phone_writes $SHORT_PHONE 5090 0 0.02 2 "$dir/register.sip" "$dir/invite.sip" "$dir/keepalive" ||
	fail "$dir: the phone could not send"
wait || fail "$dir: the server failed: $(cat "$dir/server.log")"
hold_back rtr-lan
acks_lost_all_sent 5 ||
	fail "the phone did not send the three messages again in one segment after losing the server's acknowledgments:
$(ip netns exec lan nft list table inet acks_lost)"
acks_lost_done
[ "$(tail -c 4 "$dir/got" | od -An -tx1 | xargs)" = "0d 0a 0d 0a" ] ||
	fail "the server's stream does not end with the keep-alive"
head -c -4 "$dir/got" >"$dir/got-messages"
got=$(PHONE=$SHORT_PHONE messages_in "$dir/got-messages" | xargs)
[ "$got" = "REGISTER public INVITE private" ] ||
	fail "a REGISTER, a late INVITE and a keep-alive sent again in one segment: the server got '$got', not the REGISTER rewritten and the INVITE as sent"
[ "$(counter passed_tcp_reordered)" -ge $((reordered + 2)) ] ||
	fail "passed_tcp_reordered grew by $(($(counter passed_tcp_reordered) - reordered)), not 2: the INVITE sent again at the correction point did not keep its length"
say "ok: a packet sent again at the correction point changes its length by what the point recorded; the INVITE in it, which went on unchanged, keeps its length, the stream whole"

# 8f. The phone's FIN overtakes its last message: an INVITE written whole,
# the phone's close 20 ms later, the INVITE held back 40 ms. The FIN went
# on first, and the receiver keeps it out of order. From 10.0.0.5 the
# INVITE grows: it ends where the FIN is, so it is rewritten and carries
# the FIN again at its new end (tcp_fin_moved), and the server gets the
# INVITE rewritten, then the close; the same to a server that closed
# first (its FIN seen before the phone's, which then marks no direction
# but moves conntrack's state on to LAST_ACK). (Before: later bytes had
# gone on, so the INVITE kept its length, passed_tcp_reordered, and
# reached the server as sent. In the loss test the same happened to the
# server's last 200 OK, its close reordered before it.) From
# 192.168.0.10 it shrinks: it keeps its length (passed_tcp_reordered), as
# the FIN held past its new end may still be reported (kmod/order.c).
# fin_first DIR PHONE PORT moved|kept [close]
fin_first() {
	local dir=$1 phone=$2 port=$3 expect=$4 moved reordered want
	shift 4
	mkdir -p "$dir"
	$SIPUA fill "${tcp_values[@]}" --set phone="$phone" "$VM_DIR/msgs/invite.sip" >"$dir/invite.sip"
	read -r moved reordered < <(counter tcp_fin_moved passed_tcp_reordered)
	hold_back rtr-lan "ip late $INVITE_FIRST"
	stream_server "$dir" "$@"
	phone_writes "$phone" "$port" 0 0 0.02 "$dir/invite.sip" || fail "$dir: the phone could not send"
	wait || fail "$dir: the server failed: $(cat "$dir/server.log")"
	hold_back rtr-lan
	got=$(PHONE=$phone messages_in "$dir/got" | xargs)
	if [ "$expect" = moved ]; then
		want="INVITE public"
		[ "$(counter tcp_fin_moved)" = $((moved + 1)) ] ||
			fail "$dir: tcp_fin_moved grew by $(($(counter tcp_fin_moved) - moved)), not 1"
	else
		want="INVITE private"
		[ "$(counter passed_tcp_reordered)" -gt "$reordered" ] ||
			fail "$dir: the INVITE did not keep its length (passed_tcp_reordered)"
		[ "$(counter tcp_fin_moved)" = "$moved" ] || fail "$dir: tcp_fin_moved grew"
	fi
	[ "$got" = "$want" ] ||
		fail "an INVITE from $phone overtaken by the phone's FIN: the server got '$got', not '$want'"
}
fin_first "$WORK/fin-first" $SHORT_PHONE 5095 moved
fin_first "$WORK/fin-first-closed" $SHORT_PHONE 5098 moved close
rewritten "$WORK/fin-first/got" "$SHORT_PHONE:" "IN IP4 $SHORT_PHONE" "INVITE from $SHORT_PHONE, its FIN first"
rewritten "$WORK/fin-first-closed/got" "$SHORT_PHONE:" "IN IP4 $SHORT_PHONE" \
	"INVITE from $SHORT_PHONE, its FIN first, the server closed first"
fin_first "$WORK/fin-first-shrinks" "$PHONE" 5099 kept
say "ok: an INVITE overtaken by its phone's FIN: growing, rewritten with the FIN at its new end (tcp_fin_moved), also after the server's close; shrinking, as sent (passed_tcp_reordered), the stream whole"

# 6. Counters.
say "split counters: $(split_counters)"
read -r ooo joined passed < <(counter tcp_split_out_of_order tcp_split_joined passed_tcp_split)
gave_up=$(in_rtr "$TOP/cli/sipalg" stats -j | $PY -c 'import json, sys
print(sum(v for k, v in json.load(sys.stdin).items() if k.startswith("tcp_split_gave_up")))')
[ "$ooo" -ge 10 ] || fail "tcp_split_out_of_order is $ooo, not one for each of the 10 messages"
[ "$joined" -ge 10 ] || fail "tcp_split_joined is $joined, fewer than the 10 messages"
[ "$gave_up" = 0 ] || fail "$gave_up messages given up"
[ "$passed" = 0 ] || fail "passed_tcp_split is $passed, not 0"
say "ok: out_of_order $ooo, joined $joined, none given up, passed_tcp_split 0"

# 9. A message given up, and the next one on its connection.
# given_up_then_register NAME PORT WHAT: an INVITE and then a REGISTER
# from the phone's PORT (MSS 300, 3 s apart), the REGISTER's first segment
# late, the INVITE's losses set up before, the router's own ACKs to the
# phone dropped in its output chain (untracked TCP): the INVITE is given up
# (resent) and passes as sent, and the REGISTER is held and rewritten. (The
# phone's third timer, ~2.3 s after the INVITE, ends the give-up; a
# REGISTER written before then would be sent before the INVITE's lost
# segments, as new data after a timeout is (F-RTO), and go by inside it.)
given_up_then_register() {
	local name=$1 port=$2 what=$3 resent got
	resent=$(counter tcp_split_gave_up_resent)
	hold_back rtr-lan "ip late $TO_5060 match u32 0x52454749 0xffffffff at 52" # "REGI"
	router_own_tcp off
	two_messages "$WORK/$name" "$port" 300 3
	router_own_tcp on
	hold_back rtr-lan
	[ "$(counter tcp_split_gave_up_resent)" -gt "$resent" ] ||
		fail "$what: the INVITE was not given up (resent)"
	got=$(messages_in "$WORK/$name/got" | xargs)
	[ "$got" = "INVITE private REGISTER public" ] ||
		fail "$what: the server got '$got', not the INVITE as sent and the REGISTER rewritten"
}
lose_twice rtr "$(invite_at 576)"
given_up_then_register after-given-up 5084 "a REGISTER after an INVITE given up"
lost_twice rtr || fail "the INVITE's last segment was not dropped twice"
ip netns exec rtr nft delete table inet lose_twice
say "ok: an INVITE given up (resent) passes as sent, and the REGISTER after it, its first segment late, is held and rewritten"

# 9b. The same, but the router held only the INVITE's first segment, which
# ends inside its headers: the second is lost once and the last twice.
# Given up (resent), its first bytes are kept; the second segment, sent
# again, passes and completes the headers, which say where the INVITE
# ends (tcp_split_end_found): the REGISTER after it is held and rewritten
# as above.
found=$(counter tcp_split_end_found)
lose_once rtr "$(invite_at 288)"
lose_twice rtr "$(invite_at 576)"
given_up_then_register after-given-up-early 5085 "a REGISTER after an INVITE given up inside its headers"
lost_once rtr || fail "the INVITE's second segment was not dropped once"
lost_twice rtr || fail "the INVITE's last segment was not dropped twice"
ip netns exec rtr nft delete table inet lose_once
ip netns exec rtr nft delete table inet lose_twice
[ "$(counter tcp_split_end_found)" -gt "$found" ] ||
	fail "the end of the INVITE given up was not found in the bytes that passed (tcp_split_end_found)"
say "ok: an INVITE given up inside its headers passes as sent, its end found as it passed, and the REGISTER after it, its first segment late, is held and rewritten"

# 10. A phone a long way off: what the router sends it from the server's
# port 5060 is 1.5 s on its way (netem on the router's LAN link, for
# those packets alone: a late ARP reply would hold the phone's SYN back
# and make its first round trip longer), so the phone's round trip is
# 1.5 s. Its INVITE in 2 segments, the second lost once before the
# router: the router holds the first, and nothing after it says that
# anything is missing. The phone's tail loss probe sends the second again
# twice its round trip later, 3 s after the first: within the router's 4 s
# hold, joined and rewritten. (Before, the hold was 2 s: the INVITE was
# given up, "timeout", and passed unmodified. The same happens to a
# connection's first message when its handshake lost a packet: the
# phone's first round trip measured is then a second.)
in_rtr tc qdisc add dev rtr-lan root handle 1: prio &&
	in_rtr tc qdisc add dev rtr-lan parent 1:3 netem delay 1500ms &&
	in_rtr tc filter add dev rtr-lan parent 1: protocol ip u32 $FROM_5060 flowid 1:3 ||
	fail "netem on rtr-lan failed"
lose_once rtr "$(segment_first 5091 2 2)"
read -r timeouts joined < <(counter tcp_split_gave_up_timeout tcp_split_joined)
read -r probes < <(phone_tcp TcpExtTCPLossProbes)
start=$(ms)
invite "$WORK/far" 2 5091 --timeout 30
took=$(($(ms) - start))
[ "$(phone_tcp TcpExtTCPLossProbes)" -gt "$probes" ] || fail "the far phone sent no tail loss probe"
in_rtr tc qdisc del dev rtr-lan root
lost_once rtr || fail "the far phone's second segment was not dropped once"
ip netns exec rtr nft delete table inet lose_once
rewritten "$WORK/far/wan/000.sip" "$PHONE:" "IN IP4 $PHONE" \
	"INVITE from a phone 1.5 s away, its last segment lost before the router"
[ "$(counter tcp_split_gave_up_timeout)" = "$timeouts" ] ||
	fail "the far phone's INVITE was given up (tcp_split_gave_up_timeout)"
[ "$(counter tcp_split_joined)" -gt "$joined" ] || fail "the far phone's INVITE was not joined"
say "ok: the far phone's INVITE, its last segment sent again by its tail loss probe, was joined within the hold (the call took $took ms)"

in_rtr conntrack -F >/dev/null 2>&1
for _ in $(seq 20); do
	[ "$(counter tcp_split_bytes)" = 0 ] && break
	sleep 0.1
done
[ "$(counter tcp_split_bytes)" = 0 ] || fail "after conntrack -F, tcp_split_bytes is not 0"
rmmod sipalg || fail "rmmod failed"
say "ok: nothing held after conntrack -F; unloaded"
say "kernel helper (reported, not asserted): $kernel_result"
say "kernel helper, an INVITE overtaken by a REGISTER (reported, not asserted): the server got: ${kernel_two:-nothing}"
say "kernel helper, an INVITE overtaken by a REGISTER that keeps its length (reported, not asserted): the server got: ${kernel_two_unchanged:-nothing}"
