#!/bin/bash
# SIP over TCP through the NAT: REGISTER + INVITE (with SDP) in one segment
# are each rewritten and the payload shrinks; a BYE in a later segment on
# the same connection is rewritten too, and the stream stays whole
# (sequence numbers adjusted: the server reads well-framed messages and its
# replies get back). A message split across two segments is joined and
# rewritten as a whole, and the stream stays usable (t-sipalg-tcp-split
# shows splits in depth); one whose sender pauses mid-way longer than its
# RTO passes unmodified, byte for byte. The kernel helper runs the same
# scenario.
. "$(dirname "$0")/lib.sh"

tcp_values=("${CALL_VALUES[@]}" --set transport=TCP)

# scenario DIR: one connection with 2 messages in one segment and one in
# the next, then a second connection whose INVITE is split in two
# segments, 50 ms apart: well within the phone's retransmission timeout
# (at least 200 ms), which a longer pause would pass: the phone would send
# the first segment again and sipalg give up on joining (counted as
# tcp_split_gave_up_resent; the INVITE then passes unmodified).
scenario() {
	local dir=$1
	mkdir -p "$dir"
	serve_in_wan "$dir/server1.log" --tcp --bind $SERVER:5060 --count 3 --save-dir "$dir/wan1" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $SIPUA send --tcp --split-after 2 --bind $PHONE:5070 --to $SERVER:5060 --save "$dir/lan1.sip" \
		--reply-save "$dir/lan1-reply.sip" "${tcp_values[@]}" \
		"$VM_DIR/msgs/register.sip" "$VM_DIR/msgs/invite.sip" "$VM_DIR/msgs/bye.sip" \
		>/dev/null || fail "TCP: no replies to the three messages"
	wait
	serve_in_wan "$dir/server2.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$dir/wan2" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $SIPUA send --tcp --split 200 --split-pause 0.05 --bind $PHONE:5071 --to $SERVER:5060 \
		--save "$dir/lan2.sip" "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip" \
		>/dev/null || fail "TCP: no reply to the split INVITE"
	wait
}

topology_up
use_kernel_helper
scenario "$WORK/kernel"

topology_up
insmod "$ko" || fail "insmod failed"
scenario "$WORK/sipalg"
w="$WORK/sipalg/wan1"
[ -f "$w/002.sip" ] || fail "the server did not get three framed messages"
expect_in "$w/000.sip" "Via: SIP/2.0/TCP $ROUTER_WAN:5060;branch=z9hG4bK1076223587290572529" "TCP REGISTER Via rewritten (phone sends from port 5070)"
expect_in "$w/000.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "TCP REGISTER Contact rewritten"
expect_in "$w/001.sip" "c=IN IP4 $ROUTER_WAN" "TCP INVITE SDP rewritten"
expect_in "$w/002.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "TCP BYE (in the next segment) rewritten"
for m in "$w"/00[0-2].sip; do
	content_length_exact "$m" || fail "$(basename "$m"): Content-Length wrong"
	expect_not_in "$m" "$PHONE:" "$(basename "$m"): no private address:port left"
done
expect_in "$WORK/sipalg/lan1-reply.sip" "Via: SIP/2.0/TCP $PHONE:5060" "replies come back on the adjusted stream, Via restored"

expect_in "$WORK/sipalg/wan2/000.sip" "c=IN IP4 $ROUTER_WAN" "split INVITE joined and rewritten"
expect_not_in "$WORK/sipalg/wan2/000.sip" "$PHONE:" "split INVITE: no private address:port left"
content_length_exact "$WORK/sipalg/wan2/000.sip" || fail "split INVITE: Content-Length wrong"
say "ok: split INVITE: Content-Length exact"

# A phone that stops mid-message for longer than its retransmission
# timeout sends the held first segment again: sipalg lets it pass (the
# phone sends nothing new until it is acknowledged), so the INVITE arrives
# byte for byte as sent and the connection goes on.
serve_in_wan "$WORK/sipalg/server3.log" --tcp --bind $SERVER:5060 --count 1 \
	--save-dir "$WORK/sipalg/wan3" --answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
in_lan $SIPUA send --tcp --split 200 --split-pause 1.5 --bind $PHONE:5072 --to $SERVER:5060 \
	--save "$WORK/sipalg/lan3.sip" "${tcp_values[@]}" "$VM_DIR/msgs/invite.sip" \
	>/dev/null || fail "TCP: no reply to the INVITE that paused mid-way"
wait
cmp -s "$WORK/sipalg/lan3.sip" "$WORK/sipalg/wan3/000.sip" ||
	fail "the INVITE that paused mid-way was changed"
resent=$(sipalg_stat rtr tcp_split_gave_up_resent)
[ "$resent" -ge 1 ] || fail "tcp_split_gave_up_resent is $resent"
say "ok: an INVITE paused mid-way longer than the phone's RTO arrives byte for byte as sent (gave_up_resent $resent)"

# The kernel helper, for comparison (reported, not asserted).
for m in 000 001 002; do
	if grep -q "$PHONE:" "$WORK/kernel/wan1/$m.sip" 2>/dev/null; then
		say "kernel helper: TCP message $m keeps a private address:port"
	fi
done
