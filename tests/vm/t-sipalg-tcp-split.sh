#!/bin/bash
# SIP over TCP, one message cut into several TCP segments (issue 14): the
# router holds the first segments until the rest arrive and rewrites the
# message as a whole, so the phone's private address never leaks.
#
# The sender's kernel does the cutting (sipua --mss or --segments sets
# TCP_MAXSEG; the message goes in one write), and captures on the phone's
# and the server's side prove how many data segments each message really
# took, so the test cannot pass on a message that was never split. Offloads
# are off on every veth so that segments on the capture are segments on
# the wire, and the router sees what the sender sent (no GRO). 10 segments
# is as many as a fresh connection sends before its first ACK (initial
# congestion window), all the router can hold of one message.
#
#   1. IPv4, phone -> server: an INVITE with SDP (audio + video) cut into
#      2, 3 and 10 segments arrives rewritten (no private address:port,
#      c= the router's) with an exact Content-Length; a REGISTER sent on
#      the same connection after the INVITE's reply (in one segment when
#      it fits the MSS) arrives framed and rewritten, and its reply comes
#      back with the phone's Via: the stream's sequence numbers still
#      line up; RTP from the server reaches the phone through the
#      INVITE's pinhole.
#   2. server -> phone: the 200 OK with SDP, cut into segments by the
#      server, reaches the phone with its Via restored and an exact
#      Content-Length.
#   3. Bigger than the WAN MTU: a 3.4 KB INVITE (audio + video, many
#      codecs, ICE candidates) in 3 segments of ~1400 bytes; the joined
#      message leaves as a GSO packet that the router's WAN veth (TSO off)
#      cuts in software: no frame above 1500 bytes on the WAN, and the
#      server gets it rewritten and exact. (a=candidate lines keep the
#      private address: the core leaves them alone by design.)
#   4. IPv6 through a NAT66 (masquerade) rule: an INVITE in 3 segments
#      arrives rewritten to the router's IPv6 address.
#   7. Growing past the MTU without a split: a phone on 10.0.0.2 (shorter
#      than the router's 203.0.113.1) sends an INVITE that fills one full
#      1500-byte packet; the rewrite makes it longer than the MTU, so it
#      leaves as a GSO packet, cut in two on the WAN (no frame above the
#      MTU), and the server gets it rewritten and exact (before, it passed
#      unmodified as passed_too_big, the private address in it).
#   5. Counters: tcp_split_joined is the number of messages sent in more
#      than one segment, either way (the phone's small MSS cuts some of
#      the server's replies too), passed_tcp_split is 0.
#   6. The kernel's own helper gets scenario 1's 3-segment INVITE first,
#      in the same network: whether it rewrote it is reported, not asserted.
# Without the join (sipalg before issue 14) every cut is proven and the
# test fails at the first rewrite check.
. "$(dirname "$0")/lib.sh"

ROUTER_WAN6=2001:db8:2::1
tcp_values=("${CALL_VALUES[@]}" --set transport=TCP)

# tcp_segments PCAP QUERY...: each QUERY is one argument "FROM TO FILE...":
# FROM (ip:port, [ipv6]:port) sent TO the bytes of the FILEs, one after the
# other, on one connection of the capture (else it fails). For each, one
# line: how many data segments began in each SIP message of those bytes,
# then the largest IP packet that carried them ("10 4 185": a message in
# 10 segments, the next one in 4, no packet above 185 bytes).
tcp_segments() {
	$PY - "$@" <<-'PY'
	import ipaddress, re, struct, sys
	def endpoint(text):
	    host, _, port = text.rpartition(":")
	    return ipaddress.ip_address(host.strip("[]")).packed, int(port)
	flows = {}  # (src, dst) -> {"base": ISN + 1, "segs": {seq: payload}, "max": bytes}
	data, pos = open(sys.argv[1], "rb").read(), 24
	while pos + 16 <= len(data):  # pcap records: Ethernet, IPv4 or IPv6, TCP
	    caplen = struct.unpack_from("<I", data, pos + 8)[0]
	    frame = data[pos + 16:pos + 16 + caplen]
	    pos += 16 + caplen
	    ethertype, ip = struct.unpack_from("!H", frame, 12)[0], frame[14:]
	    if ethertype == 0x0800 and ip[9] == 6:
	        ip_len = struct.unpack_from("!H", ip, 2)[0]
	        addrs, tcp = (ip[12:16], ip[16:20]), ip[(ip[0] & 15) * 4:ip_len]
	    elif ethertype == 0x86DD and ip[6] == 6:
	        ip_len = 40 + struct.unpack_from("!H", ip, 4)[0]
	        addrs, tcp = (ip[8:24], ip[24:40]), ip[40:ip_len]
	    else:
	        continue
	    sport, dport, seq = struct.unpack_from("!HHI", tcp)
	    flow = flows.setdefault(((addrs[0], sport), (addrs[1], dport)),
	                            {"base": None, "segs": {}, "max": 0})
	    if tcp[13] & 2:  # SYN: the stream begins at its sequence number + 1
	        flow["base"] = (seq + 1) % 2**32
	    payload = tcp[(tcp[12] >> 4) * 4:]
	    if payload:  # a retransmission counts once
	        flow["segs"][seq] = payload
	        flow["max"] = max(flow["max"], ip_len)
	for query in sys.argv[2:]:
	    src, dst, *files = query.split()
	    stream = b"".join(open(f, "rb").read() for f in files)
	    flow = flows.get((endpoint(src), endpoint(dst)))
	    if not flow or flow["base"] is None or not flow["segs"]:
	        sys.exit(f"no connection {src} -> {dst} in {sys.argv[1]}")
	    got, starts = bytearray(), []
	    for seq, payload in flow["segs"].items():
	        off = (seq - flow["base"]) % 2**32
	        starts.append(off)
	        got[off:off + len(payload)] = payload
	    if bytes(got) != stream:
	        sys.exit(f"{src} -> {dst}: the captured stream ({len(got)} bytes)"
	                 f" is not what was sent ({len(stream)} bytes)")
	    counts, off = [], 0
	    while off < len(stream):  # the messages, by their Content-Length
	        end = stream.index(b"\r\n\r\n", off) + 4
	        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", stream[off:end])
	        end += int(m.group(1)) if m else 0
	        counts.append(sum(off <= s < end for s in starts))
	        off = end
	    print(*counts, flow["max"])
	PY
}

# split_invite DIR N PORT RTP: scenario 1 from the phone's PORT, the
# INVITE (1.3 KB) in N segments, its audio on RTP (video on RTP+2).
split_invite() {
	local dir=$1 n=$2 port=$3 rtp=$4
	local values=("${tcp_values[@]}" --set rtp_port="$rtp" --set video_port=$((rtp + 2)))
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --tcp --bind $SERVER:5060 --count 2 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	in_lan $SIPUA send --tcp --segments "$n" --one-by-one \
		--bind $PHONE:"$port" --to $SERVER:5060 --save "$dir/lan.sip" \
		--reply-save "$dir/lan-reply.sip" "${values[@]}" "$VM_DIR/msgs/invite-video.sip" \
		"$VM_DIR/msgs/register.sip" >/dev/null || fail "$n segments: no replies to the INVITE and REGISTER"
	wait || fail "$n segments: the server did not get INVITE and REGISTER: $(cat "$dir/server.log")"
}

# big_invite DIR PORT: scenario 3, TCP_MAXSEG 1400 (1388 bytes a segment).
big_invite() {
	local dir=$1 port=$2
	local values=("${tcp_values[@]}" --set rtp_port=40050 --set rtcp_port=40051
		--set video_port=40052 --set video_rtcp_port=40053)
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	in_lan $SIPUA send --tcp --mss 1400 --bind $PHONE:"$port" --to $SERVER:5060 \
		--save "$dir/lan.sip" "${values[@]}" "$VM_DIR/msgs/invite-big.sip" \
		>/dev/null || fail "big INVITE: no reply"
	wait || fail "big INVITE: the server did not get it: $(cat "$dir/server.log")"
}

# grow_invite DIR PORT: scenario 7, from 10.0.0.2:PORT an INVITE padded
# (an a=x-pad line) to one full segment: the MSS a 1500-byte MTU gives
# (1460), less 12 bytes of TCP timestamps.
grow_invite() {
	local dir=$1 port=$2 target=1448 pad=0 size _
	local values=("${tcp_values[@]}" --set phone=10.0.0.2 --set sip_port="$port" --set rtp_port=40060)
	mkdir -p "$dir"
	ip -n lan addr add 10.0.0.2/24 dev lan0
	in_rtr ip addr add 10.0.0.1/24 dev rtr-lan
	in_rtr nft add rule inet nat_router postrouting oifname "rtr-wan" ip saddr 10.0.0.0/24 masquerade
	for _ in 1 2 3; do
		{ cat "$VM_DIR/msgs/invite.sip" && printf 'a=x-pad:%*s\r\n' "$pad" "" | tr ' ' x; } >"$dir/invite.sip"
		size=$($SIPUA fill "${values[@]}" "$dir/invite.sip" | wc -c)
		pad=$((pad + target - size))
	done
	[ "$size" = "$target" ] || fail "grow: could not pad the INVITE to $target bytes ($size)"
	serve_in_wan "$dir/server.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
	in_lan $SIPUA send --tcp --bind 10.0.0.2:"$port" --to $SERVER:5060 --save "$dir/lan.sip" \
		"${values[@]}" "$dir/invite.sip" >/dev/null || fail "grow: no reply to the full-packet INVITE"
	wait || fail "grow: the server did not get the INVITE: $(cat "$dir/server.log")"
}

# A received message is rewritten: no private address:port, SDP naming the
# router's public address, Content-Length equal to the body.
expect_rewritten() {
	local file=$1 what=$2
	expect_not_in "$file" "$PHONE:" "$what: no private address:port left"
	content_length_exact "$file" || fail "$what: Content-Length is not the body's length"
	say "ok: $what: Content-Length exact"
}

# 6. The kernel's helper first, for comparison.
topology_up
offloads_off
use_kernel_helper
split_invite "$WORK/kernel" 3 5070 40000
if grep -q "^c=IN IP4 $ROUTER_WAN" "$WORK/kernel/wan/000.sip" &&
	! grep -q "$PHONE:" "$WORK/kernel/wan/000.sip"; then
	kernel_result="rewrote the INVITE split in 3 segments"
else
	kernel_result="did not rewrite the INVITE split in 3 segments (private address left)"
fi

# The same network for sipalg, the kernel's helper detached and its
# connections gone.
kernel_helper_to_sipalg
sip_capture_start "$WORK"
for n in 2 3 10; do # 1.
	split_invite "$WORK/split$n" $n $((5070 + n)) $((40000 + 10 * n))
done
tcp_split_reply "$WORK/reply" 5081 40040 # 2.
big_invite "$WORK/big" 5082    # 3.
in_rtr nft add rule inet nat_router postrouting oifname "rtr-wan" ip6 saddr 2001:db8:1::/64 masquerade
tcp_invite6 "$WORK/ipv6" 5083 # 4.
read -r too_big0 < <(sipalg_stat rtr passed_too_big)
grow_invite "$WORK/grow" 5084 # 7.
sip_capture_stop

# The wire: every message was cut as meant and arrived whole at the far
# end, as the captures on the phone's side (what the phone sent) and the
# server's (what the server sent, and the router sent it) show. The phone's
# small MSS applies to what the server sends it too, so some replies are
# split as well: every message sent in more than one segment, either way,
# is counted in split_sent.
peer() { cat "$WORK/$1/wan/000.peer"; } # the router's address:port the server saw
r() { echo "$WORK/$1/wan/000-reply.sip"; }
mapfile -t lan < <(tcp_segments "$WORK/lan.pcap" \
	"$PHONE:5072 $SERVER:5060 $WORK/split2/lan.sip" \
	"$PHONE:5073 $SERVER:5060 $WORK/split3/lan.sip" \
	"$PHONE:5080 $SERVER:5060 $WORK/split10/lan.sip" \
	"$PHONE:5081 $SERVER:5060 $WORK/reply/lan.sip" \
	"$PHONE:5082 $SERVER:5060 $WORK/big/lan.sip" \
	"[$PHONE6]:5083 [$SERVER6]:5060 $WORK/ipv6/lan.sip" \
	"10.0.0.2:5084 $SERVER:5060 $WORK/grow/lan.sip")
[ ${#lan[@]} = 7 ] || fail "the capture on the phone's side does not show what the phones sent"
mapfile -t wan < <(tcp_segments "$WORK/wan.pcap" \
	"$SERVER:5060 $(peer split2) $(r split2) $WORK/split2/wan/001-reply.sip" \
	"$SERVER:5060 $(peer split3) $(r split3) $WORK/split3/wan/001-reply.sip" \
	"$SERVER:5060 $(peer split10) $(r split10) $WORK/split10/wan/001-reply.sip" \
	"$SERVER:5060 $(peer reply) $(r reply)" \
	"$SERVER:5060 $(peer big) $(r big)" \
	"[$SERVER6]:5060 $(peer ipv6) $(r ipv6)" \
	"$(peer big) $SERVER:5060 $WORK/big/wan/000.sip" \
	"$(peer grow) $SERVER:5060 $WORK/grow/wan/000.sip")
[ ${#wan[@]} = 8 ] || fail "the capture on the server's side does not show what the server and router sent"
split_sent=0
for line in "${lan[@]}" "${wan[@]:0:6}"; do
	read -r -a segs <<<"$line"
	for s in "${segs[@]:0:${#segs[@]}-1}"; do # the last one is the largest packet
		[ "$s" -gt 1 ] && split_sent=$((split_sent + 1))
	done
done
i=0
for n in 2 3 10; do
	read -r inv reg _ <<<"${lan[i]}"
	read -r inv_reply reg_reply _ <<<"${wan[i]}"
	i=$((i + 1))
	[ "$inv" = "$n" ] || fail "the phone sent the INVITE in $inv segments, not $n"
	[ "$n" = 10 ] || [ "$reg" = 1 ] || fail "the REGISTER took $reg segments, not 1"
	say "ok: the phone sent the INVITE in $n segments, the REGISTER after it in $reg" \
		"(the server's replies: $inv_reply and $reg_reply)"
done
read -r reply _ <<<"${wan[3]}"
[ "$reply" -ge 2 ] || fail "the server sent its 200 OK in $reply segment(s)"
say "ok: the server sent its 200 OK in $reply segments"
read -r big max <<<"${lan[4]}"
[ "$big" = 3 ] || fail "the phone sent the big INVITE in $big segments, not 3"
say "ok: the phone sent the $(stat -c %s "$WORK/big/lan.sip")-byte INVITE in 3 segments (largest IP packet $max bytes)"
read -r inv6 _ <<<"${lan[5]}"
[ "$inv6" = 3 ] || fail "the phone sent the IPv6 INVITE in $inv6 segments, not 3"
say "ok: the phone sent the IPv6 INVITE in 3 segments"

# 1. Rewritten whole, the stream intact after it, the media pinhole open.
for n in 2 3 10; do
	d=$WORK/split$n
	expect_in "$d/wan/000.sip" "c=IN IP4 $ROUTER_WAN" "INVITE in $n segments: SDP rewritten"
	expect_rewritten "$d/wan/000.sip" "INVITE in $n segments"
	expect_in "$d/wan/001.sip" "Contact: <sip:011@$ROUTER_WAN:" "REGISTER after it: Contact rewritten"
	expect_rewritten "$d/wan/001.sip" "REGISTER after the INVITE in $n segments"
	expect_in "$d/lan-reply.sip" "Via: SIP/2.0/TCP $PHONE:5060" "its reply reaches the phone, Via restored"
done
for n in 2 3 10; do # RTP from the server to the public port each INVITE names, at once
	port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$WORK/split$n/wan/000.sip" | tr -d '\r')
	rtp_through lan "$WORK/split$n/rtp.log" $PHONE:$((40000 + 10 * n)) \
		wan "$SERVER:$((50000 + 2 * n))" "$ROUTER_WAN:$port" >/dev/null &
done
wait
for n in 2 3 10; do
	expect_in "$WORK/split$n/rtp.log" "received 20 from $SERVER:$((50000 + 2 * n))" \
		"INVITE in $n segments: RTP through its pinhole reaches the phone"
done

# 2. The reply the server cut into segments.
expect_in "$WORK/reply/lan-reply.sip" "Via: SIP/2.0/TCP $PHONE:5060" "200 OK in $reply segments: Via restored"
content_length_exact "$WORK/reply/lan-reply.sip" || fail "200 OK in $reply segments: Content-Length wrong"
expect_in "$WORK/reply/lan-reply.sip" "c=IN IP4 $SERVER" "200 OK in $reply segments: its SDP arrives"

# 3. Joined beyond the MTU, sent as GSO, cut again by the router.
expect_not_in "$WORK/big/wan/000.sip" "IN IP4 $PHONE" "big INVITE: o= and every c= rewritten"
expect_rewritten "$WORK/big/wan/000.sip" "big INVITE"
read -r wan_segs wan_max <<<"${wan[6]}"
mtu=$(in_rtr cat /sys/class/net/rtr-wan/mtu)
[ "$wan_max" -le "$mtu" ] || fail "big INVITE: a $wan_max-byte IP packet on the WAN (MTU $mtu)"
say "ok: big INVITE left the router in $wan_segs segments, none above the MTU ($wan_max <= $mtu bytes)"

# 4. IPv6 through NAT66.
expect_in "$WORK/ipv6/wan/000.sip" "c=IN IP6 $ROUTER_WAN6" "IPv6 INVITE in 3 segments: SDP rewritten"
expect_not_in "$WORK/ipv6/wan/000.sip" "[$PHONE6]:" "IPv6 INVITE: no private [address]:port left"
expect_not_in "$WORK/ipv6/wan/000.sip" "IN IP6 $PHONE6" "IPv6 INVITE: no private SDP address left"
content_length_exact "$WORK/ipv6/wan/000.sip" || fail "IPv6 INVITE: Content-Length wrong"

# 7. One full packet that the rewrite made longer than the MTU.
read -r grow_segs grow_max <<<"${lan[6]}"
mtu=$(in_rtr cat /sys/class/net/rtr-lan/mtu)
[ "$grow_segs" = 1 ] && [ "$grow_max" = "$mtu" ] ||
	fail "grow: the phone sent the INVITE in $grow_segs segment(s), largest IP packet $grow_max bytes (want 1 of $mtu)"
expect_in "$WORK/grow/wan/000.sip" "c=IN IP4 $ROUTER_WAN" "full-packet INVITE from 10.0.0.2: SDP rewritten"
expect_not_in "$WORK/grow/wan/000.sip" "10.0.0.2:" "full-packet INVITE: no private address:port left"
expect_not_in "$WORK/grow/wan/000.sip" "IN IP4 10.0.0.2" "full-packet INVITE: no private SDP address left"
content_length_exact "$WORK/grow/wan/000.sip" || fail "full-packet INVITE: Content-Length wrong"
grown=$(($(stat -c %s "$WORK/grow/wan/000.sip") - $(stat -c %s "$WORK/grow/lan.sip")))
read -r wan_segs wan_max <<<"${wan[7]}"
mtu=$(in_rtr cat /sys/class/net/rtr-wan/mtu)
[ "$grown" -gt 0 ] && [ "$wan_segs" -ge 2 ] && [ "$wan_max" -le "$mtu" ] ||
	fail "full-packet INVITE: grew by $grown bytes, left in $wan_segs segment(s), largest $wan_max bytes (MTU $mtu)"
[ "$(sipalg_stat rtr passed_too_big)" = "$too_big0" ] || fail "passed_too_big grew"
say "ok: a full ${grow_max}-byte packet's INVITE grew by $grown bytes and left in $wan_segs segments, none above the MTU ($wan_max <= $mtu); passed_too_big unchanged"

# 5. Counted as joined, none passed split.
in_rtr "$TOP/cli/sipalg" stats -j >"$WORK/stats.json"
read -r joined passed < <($PY -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d.get("tcp_split_joined", "missing"), d.get("passed_tcp_split", "missing"))' "$WORK/stats.json")
say "counters: $(tr ',' '\n' <"$WORK/stats.json" | grep tcp_split | tr -d '{}"' | tr '\n' ' ')"
[ "$joined" = "$split_sent" ] ||
	fail "tcp_split_joined is $joined, not the $split_sent messages the phones and the server sent split"
[ "$passed" = 0 ] || fail "passed_tcp_split is $passed, not 0"
say "ok: tcp_split_joined $joined (every message sent split), passed_tcp_split 0"

say "kernel helper (reported, not asserted): $kernel_result"
