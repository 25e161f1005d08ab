#!/bin/bash
# SIP over TCP through the NAT: REGISTER + INVITE (with SDP) in one segment
# are each rewritten and the payload shrinks; a BYE in a later segment on
# the same connection is rewritten too, and the stream stays whole
# (sequence numbers adjusted: the server reads well-framed messages and its
# replies get back). A message split across two segments is joined and
# rewritten as a whole, and the stream stays usable (t-sipalg-tcp-split
# shows splits in depth); one whose sender pauses mid-way longer than its
# RTO has its start acknowledged by the router and is rewritten too, and
# one that stops for longer than the router's hold after that is sent on
# by the router, whole. The kernel helper runs the same scenario.
. "$(dirname "$0")/lib.sh"

tcp_values=("${CALL_VALUES[@]}" --set transport=TCP)

# scenario DIR: one connection with 2 messages in one segment and one in
# the next, then a second connection whose INVITE is split in two
# segments, 50 ms apart: well within the phone's retransmission timeout
# (at least 200 ms); a longer pause is below.
scenario() {
	local dir=$1
	mkdir -p "$dir"
	serve_in_wan "$dir/server1.log" --tcp --bind $SERVER:5060 --count 3 --save-dir "$dir/wan1" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $SIPUA send --tcp --split-after 2 --bind $PHONE:5070 --to $SERVER:5060 --save "$dir/lan1.sip" \
		--reply-save "$dir/lan1-reply.sip" "${tcp_values[@]}" \
		"$VM_DIR/msgs/register.sip" "$VM_DIR/msgs/invite.sip" "$VM_DIR/msgs/bye.sip" \
		>/dev/null || fail "TCP: no replies to the three messages"
	wait
	serve_in_wan "$dir/server2.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan2" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $SIPUA send --tcp --split 200 --split-pause 0.05 --bind $PHONE:5071 --to $SERVER:5060 \
		--save "$dir/lan2.sip" "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip" \
		>/dev/null || fail "TCP: no reply to the split INVITE"
	wait
}

topology_up
use_kernel_helper
scenario "$WORK/kernel"

topology_up
insmod "$ko" || fail "insmod failed"
scenario "$WORK/sipalg"
w="$WORK/sipalg/wan1"
[ -f "$w/002.sip" ] || fail "the server did not get three framed messages"
expect_in "$w/000.sip" "Via: SIP/2.0/TCP $ROUTER_WAN:5060;branch=z9hG4bK1076223587290572529" "TCP REGISTER Via rewritten (phone sends from port 5070)"
expect_in "$w/000.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "TCP REGISTER Contact rewritten"
expect_in "$w/001.sip" "c=IN IP4 $ROUTER_WAN" "TCP INVITE SDP rewritten"
expect_in "$w/002.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "TCP BYE (in the next segment) rewritten"
for m in "$w"/00[0-2].sip; do
	content_length_exact "$m" || fail "$(basename "$m"): Content-Length wrong"
	expect_not_in "$m" "$PHONE:" "$(basename "$m"): no private address:port left"
done
expect_in "$WORK/sipalg/lan1-reply.sip" "Via: SIP/2.0/TCP $PHONE:5060" "replies come back on the adjusted stream, Via restored"

expect_in "$WORK/sipalg/wan2/000.sip" "c=IN IP4 $ROUTER_WAN" "split INVITE joined and rewritten"
expect_not_in "$WORK/sipalg/wan2/000.sip" "$PHONE:" "split INVITE: no private address:port left"
content_length_exact "$WORK/sipalg/wan2/000.sip" || fail "split INVITE: Content-Length wrong"
say "ok: split INVITE: Content-Length exact"

# A phone that stops mid-message for longer than its retransmission
# timeout sends the held first segment again, and sends nothing new until
# it is acknowledged: the router acknowledges it itself (tcp_split_acked)
# and owns those bytes, so the rest, sent after the pause, joins them and
# the INVITE arrives rewritten. (Before: given up, tcp_split_gave_up_resent,
# and the INVITE passed byte for byte as sent, the phone's address in it.)
# pause_invite NAME PORT PAUSE [OPTION...]: the INVITE in two segments
# PAUSE s apart (the options to both the phone and the server).
pause_invite() {
	serve_in_wan "$WORK/sipalg/$1-server.log" --tcp --bind $SERVER:5060 --count 1 \
		--save-dir "$WORK/sipalg/$1" --answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}" \
		"${@:4}"
	in_lan $SIPUA send --tcp --split 200 --split-pause "$3" --bind $PHONE:"$2" --to $SERVER:5060 \
		--save "$WORK/sipalg/$1.sip" "${tcp_values[@]}" "${@:4}" "$VM_DIR/msgs/invite.sip" \
		>/dev/null || fail "TCP: no reply to the INVITE that paused mid-way ($1)"
	wait
}
read -r acked0 resent0 < <(sipalg_stat rtr tcp_split_acked tcp_split_gave_up_resent)
pause_invite paused 5072 1.5
expect_in "$WORK/sipalg/paused/000.sip" "c=IN IP4 $ROUTER_WAN" "the INVITE that paused mid-way: joined and rewritten"
expect_not_in "$WORK/sipalg/paused/000.sip" "$PHONE:" "the INVITE that paused mid-way: no private address:port left"
content_length_exact "$WORK/sipalg/paused/000.sip" || fail "the INVITE that paused mid-way: Content-Length wrong"
read -r acked1 resent1 < <(sipalg_stat rtr tcp_split_acked tcp_split_gave_up_resent)
[ "$acked1" -gt "$acked0" ] && [ "$resent1" -eq "$resent0" ] ||
	fail "the INVITE that paused mid-way: tcp_split_acked $acked0 -> $acked1, gave_up_resent $resent0 -> $resent1 (want: acked, not given up)"
say "ok: an INVITE paused mid-way longer than the phone's RTO: its start acknowledged by the router (tcp_split_acked +$((acked1 - acked0))), joined, rewritten"

# The same with the router's own packets to the phone dropped (its output
# chain drops untracked TCP: sipalg's ACKs): the phone, never told, sends
# its first segment a third time, and the held bytes go on as they are in
# its place; the INVITE arrives byte for byte as sent (gave_up_resent),
# as before, and the connection goes on.
# paused_as_sent NAME PORT PAUSE WHAT [OPTION...]: pause_invite, and the
# server must get the INVITE byte for byte as the phone sent it.
paused_as_sent() {
	pause_invite "$1" "$2" "$3" "${@:5}"
	cmp -s "$WORK/sipalg/$1.sip" "$WORK/sipalg/$1/000.sip" ||
		fail "$4 did not arrive byte for byte as sent"
}
router_own_tcp off
paused_as_sent unacked 5074 3 "the INVITE whose router ACKs were dropped"
router_own_tcp on
read -r acked2 resent2 < <(sipalg_stat rtr tcp_split_acked tcp_split_gave_up_resent)
[ "$resent2" -eq $((resent1 + 1)) ] && [ "$acked2" -eq $((acked1 + 2)) ] ||
	fail "the INVITE whose router ACKs were dropped: tcp_split_acked $acked1 -> $acked2, gave_up_resent $resent1 -> $resent2 (want: +2, +1)"
say "ok: a phone that never gets the router's ACKs: after 2 its INVITE passes byte for byte as sent (gave_up_resent +1)"

# owned_then NAME PORT COMMAND...: the INVITE paused 3 s mid-way, COMMAND
# run in the router once the router acknowledged its start (it owns those
# bytes), then the rest: the server must get the INVITE whole, byte for
# byte as sent (dropped, it would get its end only: the phone will not
# send its start again).
owned_then() {
	local name=$1 port=$2 acked
	shift 2
	acked=$(sipalg_stat rtr tcp_split_acked)
	pause_invite "$name" "$port" 3 &
	for _ in $(seq 50); do
		[ "$(sipalg_stat rtr tcp_split_acked)" -gt "$acked" ] && break
		sleep 0.1
	done
	[ "$(sipalg_stat rtr tcp_split_acked)" -gt "$acked" ] ||
		fail "$name: the router did not acknowledge the paused INVITE's start"
	in_rtr "$@" >/dev/null 2>&1 || fail "$name: $* failed"
	wait
	cmp -s "$WORK/sipalg/$name.sip" "$WORK/sipalg/$name/000.sip" ||
		fail "$name: the INVITE whose start the router owned did not arrive as sent"
}

# Owned bytes go on even when sipalg is disabled meanwhile: the start of an
# INVITE acknowledged by the router, then `sipalg set disabled=yes`, then
# the rest: it goes on behind the held start, unmodified.
owned_then owned_disabled 5075 "$TOP/cli/sipalg" set disabled=yes
in_rtr "$TOP/cli/sipalg" set disabled=no || fail "set disabled=no"
say "ok: the start of an INVITE acknowledged by the router, then sipalg disabled: the INVITE arrives whole, byte for byte as sent"

# A phone that stops for longer than the hold after the router
# acknowledged its INVITE's start (6 s): when the 4 s hold ends, the
# router sends those bytes on itself, as they are (tcp_split_sent_on),
# and the rest passes as it comes: the server gets the INVITE whole, byte
# for byte. (Before: they were kept for 150 s, and lost if the phone
# stopped for longer: it never sends them again.)
read -r sent0 timeout0 < <(sipalg_stat rtr tcp_split_sent_on tcp_split_gave_up_timeout)
paused_as_sent owned_hold_ended 5076 6 "the INVITE whose acknowledged start outlived the hold" \
	--timeout 15
read -r sent1 timeout1 < <(sipalg_stat rtr tcp_split_sent_on tcp_split_gave_up_timeout)
[ "$sent1" -eq $((sent0 + 1)) ] && [ "$timeout1" -eq $((timeout0 + 1)) ] ||
	fail "the INVITE whose acknowledged start outlived the hold: tcp_split_sent_on $sent0 -> $sent1, gave_up_timeout $timeout0 -> $timeout1 (want: +1, +1)"
say "ok: a phone that stops longer than the hold after the router acknowledged its INVITE's start: the router sends it on (tcp_split_sent_on), the INVITE arrives whole, byte for byte as sent"

# A message whose headers say it is longer than sipalg holds (Content-Length
# 40000; split_max_message is 16384) is not held at all: it passes as it
# comes, counted as tcp_split_gave_up_too_big, and the phone sends nothing
# twice. (Held, it would wait for the phone's retransmission timeout: the
# phone, never acknowledged, sends its start again.)
# The phone writes it in two pieces 50 ms apart, then waits 0.6 s (longer
# than its RTO) before it closes the connection; a plain sink takes it.
read -r held0 big0 took0 < <(sipalg_stat rtr tcp_split_held tcp_split_gave_up_too_big tcp_split_acked)
retrans() { in_lan awk '/^Tcp:/ { if (!n++) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i } else print $c }' /proc/net/snmp; }
retrans0=$(retrans)
in_wan $PY - $SERVER "$WORK/sipalg/big-wan.bin" >"$WORK/sipalg/big-sink.log" 2>&1 <<-'PY' &
	import socket, sys
	srv = socket.create_server((sys.argv[1], 5060))
	print("ready", flush=True)
	conn, _ = srv.accept()
	got = b""
	while True:
	    data = conn.recv(65536)
	    if not data:
	        break
	    got += data
	open(sys.argv[2], "wb").write(got)
	PY
wait_ready "$WORK/sipalg/big-sink.log"
in_lan $PY - $PHONE $SERVER "$WORK/sipalg/big-lan.bin" <<-'PY' || fail "the phone could not send the long-said message"
	import socket, sys, time
	head = (f"INVITE sip:server@{sys.argv[2]} SIP/2.0\r\n"
	        f"Via: SIP/2.0/TCP {sys.argv[1]}:5073;branch=z9hG4bKbig\r\n"
	        f"From: <sip:011@{sys.argv[2]}>;tag=big\r\nTo: <sip:server@{sys.argv[2]}>\r\n"
	        f"Call-ID: big@{sys.argv[1]}\r\nCSeq: 1 INVITE\r\n"
	        f"Contact: <sip:011@{sys.argv[1]}:5073;transport=tcp>\r\n"
	        "Content-Type: application/sdp\r\nContent-Length: 40000\r\n\r\n").encode()
	body = b"v=0\r\n" + b"a=x-filler:" + b"x" * 300 + b"\r\n"
	s = socket.socket()
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	s.bind((sys.argv[1], 5073))
	s.connect((sys.argv[2], 5060))
	s.sendall(head + body[:100])
	time.sleep(0.05)
	s.sendall(body[100:])
	time.sleep(0.6)
	s.close()
	open(sys.argv[3], "wb").write(head + body)
	PY
wait
cmp -s "$WORK/sipalg/big-lan.bin" "$WORK/sipalg/big-wan.bin" ||
	fail "the message said to be 40000 bytes long did not arrive as sent"
read -r held1 big1 took1 < <(sipalg_stat rtr tcp_split_held tcp_split_gave_up_too_big tcp_split_acked)
retrans1=$(retrans)
[ "$big1" -eq $((big0 + 1)) ] && [ "$held1" -eq "$held0" ] && [ "$took1" -eq "$took0" ] ||
	fail "a message said to be 40000 bytes long: held $held0 -> $held1, gave_up_too_big $big0 -> $big1, acked $took0 -> $took1 (want: not held, too_big + 1)"
[ "$retrans1" -eq "$retrans0" ] ||
	fail "the phone sent $((retrans1 - retrans0)) segments again for the message said to be 40000 bytes long"
say "ok: a message whose Content-Length says 40000 bytes is not held: it passes as sent (gave_up_too_big +1), the phone sends nothing again"

# The kernel helper, for comparison (reported, not asserted).
for m in 000 001 002; do
	if grep -q "$PHONE:" "$WORK/kernel/wan1/$m.sip" 2>/dev/null; then
		say "kernel helper: TCP message $m keeps a private address:port"
	fi
done

# sipalg unloaded while the router owns an INVITE's start: it sends those
# bytes on as it goes, and the rest passes through the plain NAT.
owned_then owned_unloaded 5078 rmmod sipalg
say "ok: sipalg unloaded while the router owned an INVITE's start: it sends it on, the INVITE arrives whole, byte for byte as sent"
