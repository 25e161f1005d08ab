#!/bin/bash
# SIP over TCP, split messages under abuse: one inside host cannot take
# the memory for held messages from the others. sipalg is loaded with
# split_max_bytes=65536, so one host's share is 8192 bytes (an eighth).
#
#   1. The abuser (the phone, 192.168.0.10) opens 100 connections to a
#      sink and on each sends the first 400 bytes of an INVITE that never
#      ends (no empty line); about 80 such messages fill the 64 KiB (as
#      they do without the share: tcp_split_gave_up_full for the rest).
#      sipalg holds the first few, up to the host's share, and refuses the
#      rest (tcp_split_gave_up_host_full), never more than the share in
#      all. Its route to the sink has rto_min 6s, so that it does not send
#      the held bytes again (sipalg would then give them up) before
#      sipalg's own 4 s limit on holding them.
#   2. Meanwhile a second phone (192.168.0.11) sends a 3.4 KB INVITE cut
#      into 3 segments: it is held, joined and arrives rewritten, with
#      its own share.
#   3. The abuser's holds end by sipalg's time limit (timeout); once the
#      flows are flushed nothing is held or kept (tcp_split_bytes 0).
. "$(dirname "$0")/lib.sh"

MAX_BYTES=65536
SHARE=$((MAX_BYTES / 8))
CONNS=100

topology_up
offloads_off
ip -n lan route add $PEER/32 via $ROUTER_LAN rto_min 6000ms
insmod "$ko" split_max_bytes=$MAX_BYTES || fail "insmod failed"
stat() { sipalg_stat rtr "$@"; }

# 1. The abuser, against a sink on the peer that reads whatever comes.
in_wan $PY - $PEER >"$WORK/sink.log" 2>&1 <<-'PY' &
	import selectors, socket, sys
	srv = socket.create_server((sys.argv[1], 5060), backlog=128)
	sel = selectors.DefaultSelector()
	sel.register(srv, selectors.EVENT_READ)
	print("ready", flush=True)
	while True:
	    for key, _ in sel.select():
	        if key.fileobj is srv:
	            conn, _ = srv.accept()
	            sel.register(conn, selectors.EVENT_READ)
	        elif not key.fileobj.recv(65536):
	            sel.unregister(key.fileobj)
	            key.fileobj.close()
	PY
wait_ready "$WORK/sink.log"
in_lan $PY - $PHONE $PEER $CONNS >"$WORK/abuser.log" 2>&1 <<-'PY' &
	import socket, sys, time
	phone, peer, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	start = (f"INVITE sip:x@{peer} SIP/2.0\r\nVia: SIP/2.0/TCP {phone}:5060\r\n"
	         "X-Filler: ").encode()
	socks = []
	def one_more():
	    s = socket.socket()
	    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	    s.bind((phone, 6000 + len(socks)))
	    s.connect((peer, 5060))
	    s.sendall(start + b"x" * (400 - len(start)))  # never ends
	    socks.append(s)
	for _ in range(n):
	    one_more()
	print("ready", flush=True)
	time.sleep(5)
	PY
abuser=$!
wait_ready "$WORK/abuser.log"
read -r held host_full full bytes < <(stat tcp_split_held tcp_split_gave_up_host_full \
	tcp_split_gave_up_full tcp_split_bytes)
say "abuser: $CONNS unfinished messages: held $held, gave_up_host_full $host_full, gave_up_full $full; tcp_split_bytes $bytes (share $SHARE, cap $MAX_BYTES)"
[ "$held" -ge 1 ] && [ "$host_full" -ge 1 ] && [ $((held + host_full)) -ge "$CONNS" ] ||
	fail "the abuser's $CONNS messages: want some held and the rest refused by its share"
[ "$bytes" -le "$SHARE" ] || fail "the abuser holds $bytes bytes, more than its share of $SHARE"
say "ok: the abuser holds $bytes bytes, within its share; $host_full of its messages refused"

# 2. The other phone, while the abuser's messages are held. Hosts share
# a bucket of the accounting when their addresses hash alike (1 in 1024,
# with a seed drawn at load): then the phone is refused with the abuser
# (host_full), and a third address is tried.
other_phone() { # DIR IP: its 3.4 KB INVITE in 3 segments; true if rewritten
	local dir=$1 ip=$2 serve
	local values=("${CALL_VALUES[@]}" --set transport=TCP --set phone="$ip" --set sip_port=5090
		--set rtp_port=40050 --set rtcp_port=40051 --set video_port=40052 --set video_rtcp_port=40053)
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	serve=$!
	in_lan $SIPUA send --tcp --segments 3 --bind "$ip":5090 --to $SERVER:5060 \
		--save "$dir/lan.sip" "${values[@]}" "$VM_DIR/msgs/invite-big.sip" \
		>/dev/null || fail "the INVITE from $ip got no reply"
	wait "$serve" || fail "the server did not get the INVITE from $ip"
	grep -q "^c=IN IP4 $ROUTER_WAN" "$dir/wan/000.sip"
}
other=$PHONE2 dir=$WORK/other
read -r refused0 < <(stat tcp_split_gave_up_host_full)
if ! other_phone "$dir" $other; then
	read -r refused1 < <(stat tcp_split_gave_up_host_full)
	[ "$refused1" -gt "$refused0" ] || fail "the INVITE from $PHONE2 was not rewritten, and not for its share"
	say "($PHONE2 shares the abuser's bucket; from $PBX instead)"
	other=$PBX dir=$WORK/other-pbx
	other_phone "$dir" $other || fail "the INVITE from $PBX was not rewritten either"
fi
read -r still_held joined full2 < <(stat tcp_split_bytes tcp_split_joined tcp_split_gave_up_full)
expect_not_in "$dir/wan/000.sip" "$other:" "the other phone's INVITE: no private address:port left"
content_length_exact "$dir/wan/000.sip" || fail "the other phone's INVITE: Content-Length wrong"
[ "$joined" -ge 1 ] && [ "$full2" = 0 ] || fail "joined $joined, gave_up_full $full2"
say "ok: the other phone's INVITE in 3 segments was joined and rewritten while the abuser held its share (joined $joined, gave_up_full 0, $still_held bytes held and kept)"

# 3. The abuser's holds time out; nothing is left once the flows go.
wait "$abuser"
read -r timeout < <(stat tcp_split_gave_up_timeout)
[ "$timeout" -ge 1 ] || fail "the abuser's held messages did not time out (gave_up_timeout $timeout)"
say "ok: the abuser's held messages were given up after sipalg's time limit (gave_up_timeout $timeout)"
in_rtr conntrack -F >/dev/null 2>&1
for _ in $(seq 20); do
	left=$(stat tcp_split_bytes)
	[ "$left" = 0 ] && break
	sleep 0.1
done
[ "$left" = 0 ] || fail "after conntrack -F, tcp_split_bytes is $left, not 0"
say "ok: after conntrack -F nothing is held or kept (tcp_split_bytes 0)"
