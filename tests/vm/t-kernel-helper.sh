#!/bin/bash
# The reference: the kernel's own nf_conntrack_sip/nf_nat_sip, attached by
# an nft ct helper rule, rewrites a REGISTER and an INVITE with SDP from a
# phone behind the NAT and opens an RTP pinhole through the drop-policy
# firewall. Run first without any helper to show what breaks there, so
# this test is known to be able to fail.
. "$(dirname "$0")/lib.sh"


say "without a helper"
topology_up
register_and_invite "$WORK/none"
expect_in "$WORK/none/wan/001.sip" "c=IN IP4 $PHONE" "no helper: SDP still names the private address"
rtp_from_wan "$WORK/none/rtp.log" >/dev/null
expect_in "$WORK/none/rtp.log" "received 0 " "no helper: RTP from the WAN is dropped"

say "with nf_conntrack_sip + nf_nat_sip"
topology_up
use_kernel_helper
register_and_invite "$WORK/kernel"
reg="$WORK/kernel/wan/000.sip"
inv="$WORK/kernel/wan/001.sip"
expect_in "$reg" "Via: SIP/2.0/UDP $ROUTER_WAN:5060;branch=z9hG4bK1076223587290572529" "REGISTER Via rewritten"
expect_in "$reg" "Contact: <sip:011@$ROUTER_WAN:5060>" "REGISTER Contact rewritten"
expect_in "$reg" "Call-ID: 1410573587@$PHONE" "REGISTER Call-ID left alone"
expect_in "$inv" "c=IN IP4 $ROUTER_WAN" "INVITE SDP c= rewritten"
expect_in "$inv" "o=- 20017 20017 IN IP4 $ROUTER_WAN" "INVITE SDP o= rewritten"
expect_not_in "$inv" "$PHONE:" "no private address:port left in the INVITE"
expect_in "$WORK/kernel/lan-invite-reply.sip" "c=IN IP4 $SERVER" "answer reaches the phone"
in_rtr conntrack -L expect 2>/dev/null >"$WORK/kernel/expect.txt"
expect_in "$WORK/kernel/expect.txt" "dport=40000" "RTP expectation for the phone's media port"
port=$(sed -n 's/^m=audio \([0-9]*\).*/\1/p' "$inv")
[ "$port" = 40000 ] || fail "media port changed to $port"
rtp_from_wan "$WORK/kernel/rtp.log" >/dev/null
expect_in "$WORK/kernel/rtp.log" "received 20 from $SERVER:50000" "RTP from the WAN reaches the phone through the pinhole"
