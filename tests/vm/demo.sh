#!/bin/bash
# make demo, inside the VM: a phone behind a NAT router registers and
# places a call to a server on the WAN, with sipalg.ko loaded on the router
# (no firewall rule needed: it attaches itself to SIP on 5060/5061). Every
# SIP message is shown as it left one side of the router and as it arrived
# on the other, as a diff; then the media pinholes, and RTP from the server
# reaching the phone through the router's drop-policy firewall.
. "$(dirname "$0")/lib.sh"


show() { # show TITLE BEFORE-LABEL AFTER-LABEL BEFORE-FILE AFTER-FILE
	echo
	echo "---------------------------------------------------------------------"
	echo "$1"
	echo "---------------------------------------------------------------------"
	diff -u --label "$2" --label "$3" <(tr -d '\r' <"$4") <(tr -d '\r' <"$5") |
		tail -n +3 || true
}

sipalg() { in_rtr "$TOP/cli/sipalg" "$@"; }

echo "sipalg demo: lan $PHONE -> rtr (NAT to $ROUTER_WAN, forward policy drop) -> wan $SERVER"
topology_up
insmod "$ko" && dmesg | grep 'sipalg:' | tail -n 1
echo
echo "rtr# sipalg print"
sipalg print
register_and_invite "$WORK"

show "REGISTER  phone -> server" "sent on the LAN" "received on the WAN" \
	"$WORK/lan-register.sip" "$WORK/wan/000.sip"
show "200 OK to REGISTER  server -> phone" "sent on the WAN" "received on the LAN" \
	"$WORK/wan/000-reply.sip" "$WORK/lan-register-reply.sip"
show "INVITE with SDP  phone -> server" "sent on the LAN" "received on the WAN" \
	"$WORK/lan-invite.sip" "$WORK/wan/001.sip"
show "200 OK with SDP  server -> phone" "sent on the WAN" "received on the LAN" \
	"$WORK/wan/001-reply.sip" "$WORK/lan-invite-reply.sip"
echo
echo "rtr# sipalg connections      (the signalling connection, the registration and call on it, the pinholes)"
sipalg connections
echo
echo "RTP from the server to the phone's public media port $ROUTER_WAN:40000:"
rtp_from_wan "$WORK/rtp.log" | grep -v ready | sed 's/^/  phone: /'
echo
echo "rtr# sipalg stats            (non-zero counters)"
sipalg stats | awk '$2 != 0'
