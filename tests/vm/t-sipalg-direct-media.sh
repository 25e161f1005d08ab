#!/bin/bash
# Who may send media into a pinhole toward the phone (sip-direct-media).
# yes: the signalling peer and the addresses the other side's SDP names,
# narrowed as soon as that SDP is seen; no: the signalling peer only. RTP
# from any other internet host is dropped in both modes. Read top to
# bottom:
#   1. A call out whose answer puts the media on another host (PEER): with
#      yes, PEER and the server get in; with no, only the server; a third
#      host never does.
#   2. An incoming call through the registration pinhole whose offer names
#      PEER: the phone's answer opens pinholes that admit the registrar and
#      PEER (the router remembered what the offer named), not a third host.
#   3. The hairpin: the answer names the router's own public address (the
#      far party is another inside phone, on another inside subnet, relayed
#      by a cloud PBX); RTP from that phone, sent to the public address,
#      still gets in.
. "$(dirname "$0")/lib.sh"

THIRD=203.0.113.30

# out_call DIR MEDIA_IP: the phone calls the server, whose answer puts its
# media on MEDIA_IP:50000.
out_call() {
	local dir=$1 media=$2
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer-at.sdp" --set media="$media" "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --reply-save "$dir/answer.sip" \
		"${CALL_VALUES[@]}" "$VM_DIR/msgs/invite.sip" >/dev/null || fail "INVITE got no reply"
	wait
	grep -q "^c=IN IP4 $media" "$dir/answer.sip" || fail "the answer does not name $media"
}

# gets_in LOG FROM_IP: do 20 RTP datagrams from FROM_IP:51000 to the
# router's public port 40000 reach the phone?
gets_in() {
	rtp_from_wan "$1" "$PHONE:40000" "$2:51000" 40000 >/dev/null
	grep -q "received 20 from $2:51000" "$1"
}

# 1. A call out, in both modes.
for mode in 1 0; do
	topology_up
	ip -n wan addr add $THIRD/24 dev wan0
	rmmod sipalg 2>/dev/null
	insmod "$ko" sip_direct_media=$mode || fail "insmod sip_direct_media=$mode failed"
	out_call "$WORK/out$mode" $PEER
	expectations >"$WORK/out$mode/expect.txt"
	gets_in "$WORK/out$mode/third.log" $THIRD && fail "direct media $mode: RTP from a third host got in:
$(cat "$WORK/out$mode/expect.txt")"
	say "ok: direct media $mode: RTP from a third host is dropped"
	if [ $mode = 1 ]; then
		gets_in "$WORK/out$mode/peer.log" $PEER ||
			fail "direct media 1: RTP from the host the answer names was dropped"
		say "ok: direct media 1: RTP from the host the answer names gets in"
	else
		gets_in "$WORK/out$mode/peer.log" $PEER &&
			fail "direct media 0: RTP from the host the answer names got in"
		say "ok: direct media 0: RTP from the host the answer names is dropped"
	fi
	gets_in "$WORK/out$mode/server.log" $SERVER ||
		fail "direct media $mode: RTP from the signalling peer was dropped"
	say "ok: direct media $mode: RTP from the signalling peer gets in"
done

# 2. An incoming call: the offer (from the registrar, naming PEER) comes
# before the phone's answer opens its pinholes.
topology_up
ip -n wan addr add $THIRD/24 dev wan0
rmmod sipalg
insmod "$ko" sip_direct_media=1 || fail "insmod failed"
serve_in_wan "$WORK/reg.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/reg"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
	"$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply"
wait
serve_in lan "$WORK/phone.log" --bind $PHONE:5060 --count 1 --save-dir "$WORK/in" \
	--answer-sdp "$VM_DIR/msgs/answer.sdp" --set server=$PHONE --set server_rtp_port=40000
in_wan $SIPUA send --bind $SERVER:5080 --to $ROUTER_WAN:5060 --reply-save "$WORK/in-answer.sip" \
	--set server=$SERVER --set server_port=5080 --set target=$ROUTER_WAN:5060 --set media=$PEER \
	"$VM_DIR/msgs/invite-in-at.sip" >/dev/null || fail "the incoming INVITE got no answer"
wait
grep -q "^c=IN IP4 $ROUTER_WAN" "$WORK/in-answer.sip" || fail "the phone's answer was not rewritten"
gets_in "$WORK/in-third.log" $THIRD && fail "incoming call: RTP from a third host got in:
$(expectations)"
say "ok: incoming call: RTP from a third host is dropped"
gets_in "$WORK/in-peer.log" $PEER || fail "incoming call: RTP from the host the offer names was dropped:
$(expectations)"
say "ok: incoming call: RTP from the host the offer named (before the answer) gets in"

# 3. The hairpin: the far party is phone 2 on another inside subnet (its
# own namespace, lan2: 10.0.1.2), whose pinhole would be on the router's
# public address; its RTP arrives from its inside address.
topology_up
ip netns del lan2 2>/dev/null
ip netns add lan2
ip link add lan2-0 netns lan2 type veth peer name rtr-lan2 netns rtr
ip -n lan2 link set lo up
ip -n lan2 addr add 10.0.1.2/24 dev lan2-0
ip -n lan2 link set lan2-0 up
ip -n lan2 route add default via 10.0.1.1
ip -n rtr addr add 10.0.1.1/24 dev rtr-lan2
ip -n rtr link set rtr-lan2 up
rmmod sipalg
insmod "$ko" sip_direct_media=1 || fail "insmod failed"
out_call "$WORK/hairpin" $ROUTER_WAN
rtp_through lan "$WORK/hairpin/rtp.log" $PHONE:40000 lan2 10.0.1.2:41000 $ROUTER_WAN:40000 >/dev/null
ip netns del lan2
expect_in "$WORK/hairpin/rtp.log" "received 20 from 10.0.1.2:41000" \
	"hairpin: RTP from the inside phone on another subnet, sent to the public address, reaches the phone"
