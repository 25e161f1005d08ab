#!/bin/bash
# A PBX behind the router (DNAT of the public SIP port): an INVITE from a
# phone on the WAN to the router's public address reaches the PBX with the
# Request-URI naming the PBX; the PBX's 200 OK leaves with its Contact and
# SDP on the public address; RTP from the WAN phone reaches the PBX through
# the pinhole its SDP opened. The kernel helper runs the same scenario.
. "$(dirname "$0")/lib.sh"


setup_dnat() {
	in_rtr nft -f - <<-NFT
	table ip pbx {
		chain prerouting {
			type nat hook prerouting priority dstnat;
			iifname "rtr-wan" udp dport 5060 dnat to $PBX
		}
	}
	NFT
	in_rtr nft insert rule inet nat_router forward ct status dnat accept
}

# call DIR: the WAN phone ($SERVER) calls the PBX at the router's address.
call_pbx() {
	local dir=$1
	mkdir -p "$dir"
	serve_in lan "$dir/pbx.log" --bind $PBX:5060 --count 1 --save-dir "$dir/lan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" --set server=$PBX --set server_rtp_port=50000
	in_wan $SIPUA send --bind $SERVER:5060 --to $ROUTER_WAN:5060 --save "$dir/wan.sip" \
		--reply-save "$dir/wan-reply.sip" --set server=$ROUTER_WAN --set phone=$SERVER \
		--set sip_port=5060 --set rtp_port=40000 "$VM_DIR/msgs/invite.sip" >/dev/null ||
		fail "INVITE to the PBX got no reply"
	wait
}

topology_up
setup_dnat
use_kernel_helper
call_pbx "$WORK/kernel"

topology_up
setup_dnat
insmod "$ko" || fail "insmod failed"
call_pbx "$WORK/sipalg"
inv="$WORK/sipalg/lan/000.sip"
reply="$WORK/sipalg/wan-reply.sip"
expect_in "$inv" "INVITE sip:*43@$PBX;user=phone SIP/2.0" "Request-URI now names the PBX"
expect_in "$inv" "Via: SIP/2.0/UDP $SERVER:5060" "the WAN phone's Via left alone"
expect_in "$reply" "Contact: <sip:server@$ROUTER_WAN>" "PBX Contact on the public address"
expect_in "$reply" "c=IN IP4 $ROUTER_WAN" "PBX SDP on the public address"
content_length_exact "$reply" || fail "PBX 200 OK Content-Length wrong"
say "ok: PBX 200 OK Content-Length exact"

rtp_through lan "$WORK/rtp.log" $PBX:50000 wan $SERVER:40000 $ROUTER_WAN:50000 >/dev/null
expect_in "$WORK/rtp.log" "received 20 from $SERVER:40000" "RTP from the WAN phone reaches the PBX"

for f in lan/000.sip wan-reply.sip; do
	if ! cmp -s "$WORK/kernel/$f" "$WORK/sipalg/$f"; then
		say "differs from the kernel helper ($f):"
		diff <(tr -d '\r' <"$WORK/kernel/$f") <(tr -d '\r' <"$WORK/sipalg/$f") | sed 's/^/    | /'
	fi
done
