#!/bin/bash
# make demo, inside the VM: a phone behind a NAT router registers and
# places a call to a server on the WAN; every SIP message is shown as it
# left one side of the router and as it arrived on the other, as a diff.
. "$(dirname "$0")/lib.sh"

ko="$TOP/sipalg.ko"
values=(--set server=$SERVER --set phone=$PHONE --set sip_port=5060
	--set rtp_port=40000 --set server_rtp_port=50000)

show() { # show TITLE BEFORE AFTER
	echo
	echo "---------------------------------------------------------------------"
	echo "$1"
	echo "---------------------------------------------------------------------"
	diff -u --label "$2" --label "$3" <(tr -d '\r' <"$4") <(tr -d '\r' <"$5") |
		tail -n +3 || true
}

echo "sipalg demo: lan $PHONE -> rtr (NAT to $ROUTER_WAN) -> wan $SERVER"
insmod "$ko" && dmesg | grep 'sipalg:' | tail -n 1
echo
echo "NOTE: sipalg.ko is loaded, but its helper does not rewrite SIP yet;"
echo "      the rewriting below is the kernel's own nf_conntrack_sip/nf_nat_sip"
echo "      (the reference sipalg is measured against)."

topology_up
use_kernel_helper
serve_in_wan "$WORK/server.log" --bind $SERVER:5060 --count 2 \
	--save-dir "$WORK/wan" --answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$WORK/lan-register.sip" \
	--reply-save "$WORK/lan-register-reply.sip" "${values[@]}" "$VM_DIR/msgs/register.sip" >/dev/null
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$WORK/lan-invite.sip" \
	--reply-save "$WORK/lan-invite-reply.sip" "${values[@]}" "$VM_DIR/msgs/invite.sip" >/dev/null
wait

show "REGISTER  phone -> server  (kernel helper)" "sent on the LAN" "received on the WAN" \
	"$WORK/lan-register.sip" "$WORK/wan/000.sip"
show "INVITE with SDP  phone -> server  (kernel helper)" "sent on the LAN" "received on the WAN" \
	"$WORK/lan-invite.sip" "$WORK/wan/001.sip"
show "200 OK with SDP  server -> phone  (kernel helper)" "sent on the WAN" "received on the LAN" \
	"$WORK/wan/001-reply.sip" "$WORK/lan-invite-reply.sip"
echo
echo "media pinholes on the router (conntrack -L expect):"
in_rtr conntrack -L expect 2>/dev/null | sed 's/^/  /'
rmmod sipalg
