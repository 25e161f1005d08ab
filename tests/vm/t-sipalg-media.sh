#!/bin/bash
# Media pinholes through the drop-policy firewall: an INVITE's SDP opens
# RTP and RTCP pinholes to the phone (both work from the WAN); the pinholes
# lead only to the phone that sent the SDP; a second phone offering the same
# port gets another public port, written into its SDP; a=rtcp with an
# address is rewritten (the kernel helper leaves it); BYE closes what is
# left; sip_direct_media=0 only lets the signalling peer send media; two
# calls on one phone's signalling flow: a BYE closes its own call's
# pinholes, not the other call's.
. "$(dirname "$0")/lib.sh"


# invite PHONE_IP RTP RTCP DIR: send the a=rtcp INVITE, save both sides.
invite() {
	local phone=$1 rtp=$2 rtcp=$3 dir=$4
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind "$phone:5060" --to $SERVER:5060 --save "$dir/lan.sip" \
		--set server=$SERVER --set phone="$phone" --set sip_port=5060 \
		--set rtp_port="$rtp" --set rtcp_port="$rtcp" --set video_port=0 \
		"$VM_DIR/msgs/invite-rtcp.sip" >/dev/null || fail "INVITE from $phone got no reply"
	wait
}

# The kernel's helper on the same INVITE, for comparison (reported).
topology_up
use_kernel_helper
invite $PHONE 40000 40001 "$WORK/kernel"
say "kernel helper: $(grep '^a=rtcp' "$WORK/kernel/wan/000.sip" | tr -d '\r')"
in_rtr nft delete table inet kernel_sip

topology_up
insmod "$ko" || fail "insmod failed"

invite $PHONE 40000 40001 "$WORK/a"
inv="$WORK/a/wan/000.sip"
expect_in "$inv" "a=rtcp:40001 IN IP4 $ROUTER_WAN" "a=rtcp address rewritten"
expect_in "$inv" "m=video 0 RTP/AVP 96" "rejected stream (port 0) left alone"
expectations >"$WORK/a/expect.txt"
expect_in "$WORK/a/expect.txt" "dst=$ROUTER_WAN sport=0 dport=40000" "RTP pinhole on the public address"
expect_in "$WORK/a/expect.txt" "dst=$ROUTER_WAN sport=0 dport=40001" "RTCP pinhole on the public address"
[ "$(grep -c "dst=$ROUTER_WAN " "$WORK/a/expect.txt")" -eq 2 ] ||
	fail "want 2 pinholes to the phone (RTP, RTCP), got:
$(cat "$WORK/a/expect.txt")"
expect_in "$WORK/a/expect.txt" "dst=$SERVER sport=0 dport=50000" "the server's answer opens pinholes to the server only"
rtp_from_wan "$WORK/a/rtp.log" >/dev/null
expect_in "$WORK/a/rtp.log" "received 20 from $SERVER:50000" "RTP from the WAN reaches the phone"

# Phone 2 offers the same port: the router must pick another public one.
invite $PHONE2 40000 40001 "$WORK/b"
port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$WORK/b/wan/000.sip" | tr -d '\r')
rtcp=$(sed -n 's/^a=rtcp:\([0-9]*\) .*/\1/p' "$WORK/b/wan/000.sip" | tr -d '\r')
[ -n "$port" ] && [ "$port" != 40000 ] || fail "phone 2 kept public port '$port'"
[ "$rtcp" = $((port + 1)) ] || fail "phone 2's a=rtcp is $rtcp, want $((port + 1))"
content_length_exact "$WORK/b/wan/000.sip" || fail "phone 2's Content-Length is wrong"
say "ok: a second phone offering 40000 gets public port $port (RTCP $rtcp) in its SDP"
# The note for a standby router (kmod/expect.c) in the source port of each
# pinhole's tuple, which matches nothing: the class (1, the first call
# slot) in the top 2 bits, the private port's offset from the public one
# in the low 14. conntrackd carries it; t-ha shows what it is for.
in_rtr conntrack -L expect -f ipv4 2>/dev/null >"$WORK/b/raw-expect.txt"
expect_in "$WORK/b/raw-expect.txt" "dst=$ROUTER_WAN sport=16384 dport=40001 " \
	"phone 1's RTCP pinhole (its RTP one is used) notes class 1, offset 0"
note=$(( (1 << 14) | ((40000 - port) & 0x3fff) ))
expect_in "$WORK/b/raw-expect.txt" "dst=$ROUTER_WAN sport=$note dport=$port " \
	"phone 2's remapped RTP pinhole notes class 1 and offset $((40000 - port)) (sport=$note)"
[ $((port > 40000 ? port - 40000 : 40000 - port)) -le 8000 ] ||
	fail "phone 2's public port $port is more than 8000 from 40000"
invite $PHONE2 40000 40001 "$WORK/b2"
again=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$WORK/b2/wan/000.sip" | tr -d '\r')
[ "$again" = "$port" ] || fail "phone 2's retransmitted INVITE got public port $again, first $port"
say "ok: phone 2's retransmitted INVITE keeps public port $port"
rtp_from_wan "$WORK/b/rtp.log" "$PHONE2:40000" "$SERVER:50002" "$port" >/dev/null
expect_in "$WORK/b/rtp.log" "received 20 from $SERVER:50002" "RTP to public port $port reaches phone 2 at 40000"

# BYE from phone 1: its unused RTCP pinhole closes.
serve_in_wan "$WORK/bye.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/bye" "${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
	"$VM_DIR/msgs/bye-rtcp.sip" >/dev/null || fail "BYE got no reply"
wait
expectations >"$WORK/after-bye.txt"
expect_not_in "$WORK/after-bye.txt" "dport=40001 mask" "phone 1's RTCP pinhole closed by BYE"
expect_in "$WORK/after-bye.txt" "dport=$rtcp mask" "phone 2's pinholes (another call) stay"
rtp_from_wan "$WORK/rtcp-after-bye.log" "$PHONE:40001" "$SERVER:50001" 40001 >/dev/null
expect_in "$WORK/rtcp-after-bye.log" "received 0 " "RTCP from the WAN is dropped after BYE"

# SDP from the WAN never opens a path into the LAN: the server's answer
# names its own address, so pinholes (if any) lead to the server only.
if expectations | grep -q "src=$SERVER dst=$PHONE\|dst=192.168"; then
	fail "a pinhole leads into the LAN:
$(expectations)"
fi
say "ok: no pinhole leads to a LAN address"

# sip_direct_media=0: media only from the signalling peer.
topology_up
rmmod sipalg
insmod "$ko" sip_direct_media=0 || fail "insmod sip_direct_media=0 failed"
invite $PHONE 40000 40001 "$WORK/c"
rtp_from_wan "$WORK/c/peer.log" "$PHONE:40000" "$PEER:50000" 40000 >/dev/null
expect_in "$WORK/c/peer.log" "received 0 " "direct media off: RTP from another WAN host is dropped"
rtp_from_wan "$WORK/c/server.log" >/dev/null
expect_in "$WORK/c/server.log" "received 20 from $SERVER:50000" "direct media off: RTP from the SIP server passes"

# (Direct media on: t-sipalg-direct-media.)

# Two calls on the phone's one signalling flow; BYE ends the first only.
topology_up
serve_in_wan "$WORK/two.log" --bind $SERVER:5060 --count 3 --save-dir "$WORK/two" \
	--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
	"$VM_DIR/msgs/invite.sip" >/dev/null || fail "call 1 got no reply"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --set server=$SERVER --set phone=$PHONE \
	--set sip_port=5060 --set rtp_port=40100 --set rtcp_port=40101 --set video_port=0 \
	"$VM_DIR/msgs/invite-rtcp.sip" >/dev/null || fail "call 2 got no reply"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
	"$VM_DIR/msgs/bye.sip" >/dev/null || fail "BYE of call 1 got no reply"
wait
expectations >"$WORK/two-expect.txt"
expect_not_in "$WORK/two-expect.txt" "dst=$ROUTER_WAN sport=0 dport=40000 " "BYE closed call 1's RTP pinhole"
expect_not_in "$WORK/two-expect.txt" "dst=$ROUTER_WAN sport=0 dport=40001 " "BYE closed call 1's RTCP pinhole"
expect_in "$WORK/two-expect.txt" "dst=$ROUTER_WAN sport=0 dport=40100 " "call 2's RTP pinhole stays"
rtp_from_wan "$WORK/two-rtp.log" "$PHONE:40100" "$SERVER:50000" 40100 >/dev/null
expect_in "$WORK/two-rtp.log" "received 20 from $SERVER:50000" "call 2's media still gets in"
