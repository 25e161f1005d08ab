#!/bin/bash
# sipalg rewrites SIP through the NAT with no firewall rule at all: a
# REGISTER and an INVITE with SDP from the phone arrive at the server with
# the router's public address in Via, Contact and SDP o=/c=, Content-Length
# exact, Call-ID untouched; the server's answers arrive at the phone with
# its private address back in Via. Each message is also checked against
# what the kernel's own helper produced from the same input. Then a
# registration with a digest challenge: the 401 reaches the phone, the
# REGISTER with credentials is rewritten but its Authorization header (which
# carries the phone's address:port in opaque=) is left byte for byte alone.
. "$(dirname "$0")/lib.sh"


topology_up
use_kernel_helper
register_and_invite "$WORK/kernel"

topology_up
insmod "$ko" || fail "insmod failed"
register_and_invite "$WORK/sipalg"
reg="$WORK/sipalg/wan/000.sip"
inv="$WORK/sipalg/wan/001.sip"

expect_in "$reg" "Via: SIP/2.0/UDP $ROUTER_WAN:5060;branch=z9hG4bK1076223587290572529;rport" "REGISTER Via sent-by rewritten"
expect_in "$reg" "Contact: <sip:011@$ROUTER_WAN:5060>" "REGISTER Contact rewritten"
expect_in "$reg" "Call-ID: 1410573587@$PHONE" "REGISTER Call-ID left alone"
expect_in "$inv" "Contact: <sip:011@$ROUTER_WAN:5060>" "INVITE Contact rewritten"
expect_in "$inv" "o=- 20017 20017 IN IP4 $ROUTER_WAN" "INVITE SDP o= rewritten"
expect_in "$inv" "c=IN IP4 $ROUTER_WAN" "INVITE SDP c= rewritten"
expect_in "$inv" "Call-ID: 1589215404@$PHONE" "INVITE Call-ID left alone"
expect_not_in "$inv" "$PHONE:" "no private address:port left in the INVITE"
content_length_exact "$inv" || fail "INVITE Content-Length is not the body length"
say "ok: INVITE Content-Length exact after a shrinking rewrite"
expect_in "$WORK/sipalg/lan-invite-reply.sip" \
	"Via: SIP/2.0/UDP $PHONE:5060;branch=z9hG4bK1841331866303606934;rport" "200 OK Via restored to the phone's address"
expect_in "$WORK/sipalg/lan-invite-reply.sip" "c=IN IP4 $SERVER" "the server's SDP reaches the phone"

for m in 000.sip 001.sip; do
	cmp -s "$WORK/kernel/wan/$m" "$WORK/sipalg/wan/$m" ||
		fail "$m differs from the kernel helper's rewrite:
$(diff <(tr -d '\r' <"$WORK/kernel/wan/$m") <(tr -d '\r' <"$WORK/sipalg/wan/$m") | sed 's/^/    | /')"
done
say "ok: REGISTER and INVITE byte-identical to the kernel helper's rewrite"

# REGISTER, 401 with a digest challenge, REGISTER with credentials, 200 OK.
topology_up
serve_in_wan "$WORK/auth.log" --bind $SERVER:5060 --count 2 --challenge --save-dir "$WORK/auth" \
	"${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --reply-save "$WORK/auth-401.sip" \
	"${CALL_VALUES[@]}" "$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$WORK/auth-lan.sip" \
	--reply-save "$WORK/auth-200.sip" "${CALL_VALUES[@]}" "$VM_DIR/msgs/register-auth.sip" \
	>/dev/null || fail "REGISTER with credentials got no reply"
wait
expect_in "$WORK/auth-401.sip" "SIP/2.0 401 Unauthorized" "the challenge reaches the phone"
expect_in "$WORK/auth-401.sip" "Via: SIP/2.0/UDP $PHONE:5060" "the 401's Via restored"
expect_in "$WORK/auth/001.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "REGISTER with credentials rewritten"
grep '^Authorization:' "$WORK/auth-lan.sip" >"$WORK/auth-sent.txt"
expect_in "$WORK/auth-sent.txt" "opaque=\"$PHONE:5060\"" "the phone's Authorization names its private address:port"
expect_in "$WORK/auth/001.sip" "$(tr -d '\r' <"$WORK/auth-sent.txt")" "Authorization header untouched"
expect_in "$WORK/auth-200.sip" "SIP/2.0 200 OK" "the registration succeeds"
