#!/bin/bash
# What real SDP and compact headers look like: an INVITE in compact form
# (v: f: t: i: m: c: l:) with an audio and a video stream, a rejected stream
# (port 0) and a stream on hold (c=0.0.0.0). Via, Contact, o= and the
# session c= are rewritten; the hold address and the rejected port are left
# alone; "l:" is exact; audio and video each get RTP and RTCP pinholes that
# work, the rejected and held streams get none.
. "$(dirname "$0")/lib.sh"

topology_up
insmod "$ko" || fail "insmod failed"
serve_in_wan "$WORK/server.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/wan" \
	--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$WORK/lan.sip" \
	"${CALL_VALUES[@]}" "$VM_DIR/msgs/invite-compact.sip" >/dev/null || fail "no reply"
wait
inv="$WORK/wan/000.sip"
expect_in "$inv" "v: SIP/2.0/UDP $ROUTER_WAN:5060;branch=z9hG4bKcompact1" "compact Via (v:) rewritten"
expect_in "$inv" "m: <sip:alice@$ROUTER_WAN:5060>" "compact Contact (m:) rewritten"
expect_in "$inv" "i: compact-1@$PHONE" "compact Call-ID (i:) left alone"
expect_in "$inv" "o=- 5 5 IN IP4 $ROUTER_WAN" "o= rewritten"
expect_in "$inv" "c=IN IP4 0.0.0.0" "hold address left alone"
expect_in "$inv" "m=audio 0 RTP/AVP 0" "rejected stream left alone"
content_length_exact "$inv" || fail "l: is not the body length"
say "ok: compact Content-Length (l:) exact"

expectations >"$WORK/expect.txt"
for port in 40000 40001 40010 40011; do
	expect_in "$WORK/expect.txt" "dst=$ROUTER_WAN sport=0 dport=$port " "pinhole on $port"
done
expect_not_in "$WORK/expect.txt" "dport=40020 " "no pinhole for the stream on hold"
expect_not_in "$WORK/expect.txt" "dport=1 " "no pinhole for the rejected stream"
rtp_from_wan "$WORK/video.log" "$PHONE:40010" "$SERVER:50010" 40010 >/dev/null
expect_in "$WORK/video.log" "received 20 from $SERVER:50010" "video RTP reaches the phone"
rtp_from_wan "$WORK/vrtcp.log" "$PHONE:40011" "$SERVER:50011" 40011 >/dev/null
expect_in "$WORK/vrtcp.log" "received 20 from $SERVER:50011" "video RTCP reaches the phone"
