#!/bin/bash
# make demo, inside the VM: a phone behind a NAT router registers and
# places a call to a server on the WAN, with sipalg.ko loaded on the router
# (no firewall rule needed: it attaches itself to SIP on 5060/5061).
# `sipalg trace` on the router shows what it did to every SIP message, line
# by line before and after; tcpdump on both sides of the router is the
# proof (trace_check.py: the trace matches the wire byte for byte). Then
# the media pinholes, and RTP from the server reaching the phone through
# the router's drop-policy firewall.
. "$(dirname "$0")/lib.sh"

sipalg() { in_rtr "$TOP/cli/sipalg" "$@"; }

echo "sipalg demo: lan $PHONE -> rtr (NAT to $ROUTER_WAN, forward policy drop) -> wan $SERVER"
topology_up
insmod "$ko" && dmesg | grep 'sipalg:' | tail -n 1
echo
echo "rtr# sipalg print"
sipalg print
trace_start trace rtr
trace_start trace-json rtr -j
sip_capture_start "$WORK"
register_and_invite "$WORK"
sip_capture_stop
trace_stop trace
trace_stop trace-json
echo
echo "rtr# sipalg trace            (left running during the call; each SIP message as it crossed the router)"
cat "$WORK/trace.out"
echo
echo "The proof: tcpdump on lan0 and wan0 during the call, against sipalg trace -j:"
proof=0
/usr/bin/python3 "$VM_DIR/trace_check.py" "$WORK/lan.pcap" "$WORK/wan.pcap" "$WORK/trace-json.out" \
	>"$WORK/proof.txt" || proof=$?
sed 's/^/  /' "$WORK/proof.txt"
[ "$proof" = 0 ] || fail "the trace does not match the captures"
echo
echo "rtr# sipalg connections      (the signalling connection, the registration and call on it, the pinholes)"
sipalg connections
echo
echo "RTP from the server to the phone's public media port $ROUTER_WAN:40000:"
rtp_from_wan "$WORK/rtp.log" | grep -v ready | sed 's/^/  phone: /'
echo
echo "rtr# sipalg stats            (non-zero counters)"
sipalg stats | awk '$2 != 0'
