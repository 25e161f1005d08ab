#!/bin/bash
# What a message means is the core's decision (sipalg_decide()); the router
# acts on it. Read top to bottom:
#   1. A re-INVITE refused with 491 (glare) leaves the call as it was: RTP
#      from a sender that starts only after the 491 still reaches the phone
#      on the port of the original offer. The kernel's helper, given the
#      same exchange, is reported beside it.
#   2. A refused REGISTER (403) opens no registration pinhole; the
#      registrar's 200 OK listing the phone's binding opens it.
#   3. An INVITE whose rewrite would not fit the MTU passes unmodified
#      (passed_too_big) and leaves no media pinhole behind: its SDP still
#      names the private address, so a pinhole would only mislead.
. "$(dirname "$0")/lib.sh"

stat() { sipalg_stat rtr "$@"; }

# glare DIR: a call (the phone offers RTP on 40000, the server answers),
# then the phone's re-INVITE moving RTP to 40200, refused with 491.
glare() {
	local dir=$1
	mkdir -p "$dir"
	serve_in_wan "$dir/call.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/call" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/invite.sip" >/dev/null || fail "INVITE got no reply"
	wait
	serve_in_wan "$dir/reinvite.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/reinvite" \
		--status 491 "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --reply-save "$dir/491.sip" \
		--set server=$SERVER --set phone=$PHONE --set sip_port=5060 --set rtp_port=40200 \
		"$VM_DIR/msgs/reinvite.sip" >/dev/null || fail "re-INVITE got no reply"
	wait
	grep -q "^SIP/2.0 491 " "$dir/491.sip" || fail "the re-INVITE was not refused with 491"
	grep -q "^m=audio [0-9]* " "$dir/reinvite/000.sip" || fail "the re-INVITE lost its SDP"
}

# 1. The kernel's helper first, for comparison.
topology_up
use_kernel_helper
glare "$WORK/kernel"
rtp_from_wan "$WORK/kernel/rtp.log" >/dev/null
say "kernel helper: RTP to 40000 after the 491: $(grep received "$WORK/kernel/rtp.log")"
in_rtr nft delete table inet kernel_sip
rmmod nf_nat_sip nf_conntrack_sip 2>/dev/null || true

topology_up
insmod "$ko" || fail "insmod failed"
glare "$WORK/glare"
expectations >"$WORK/glare/expect.txt"
expect_in "$WORK/glare/expect.txt" "dst=$ROUTER_WAN sport=0 dport=40000 " \
	"after the 491 the call's RTP pinhole (40000) is still open"
# The sender starts only now, after the refusal.
rtp_from_wan "$WORK/glare/rtp.log" >/dev/null
expect_in "$WORK/glare/rtp.log" "received 20 from $SERVER:50000" \
	"RTP that starts after the 491 reaches the phone on 40000"
in_rtr "$TOP/cli/sipalg" connections >"$WORK/glare/conns.txt"
expect_in "$WORK/glare/conns.txt" "established" "sipalg connections still shows the call established"

# 2. Registration pinholes come from the registrar's acceptance.
topology_up
rmmod sipalg
insmod "$ko" || fail "insmod failed"
serve_in_wan "$WORK/refused.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/refused" \
	--status 403 "${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --reply-save "$WORK/403.sip" \
	"${CALL_VALUES[@]}" "$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply"
wait
grep -q "^SIP/2.0 403 " "$WORK/403.sip" || fail "the REGISTER was not refused"
expectations >"$WORK/refused-expect.txt"
expect_not_in "$WORK/refused-expect.txt" "dst=$ROUTER_WAN sport=0 dport=5060 " \
	"a refused REGISTER opens no registration pinhole"
[ "$(stat registration_pinholes)" = 0 ] ||
	fail "registration_pinholes is $(stat registration_pinholes) after a refused REGISTER"

serve_in_wan "$WORK/accepted.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/accepted" \
	"${CALL_VALUES[@]}"
in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --reply-save "$WORK/200.sip" \
	"${CALL_VALUES[@]}" "$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply"
wait
expect_in "$WORK/200.sip" "Contact: <sip:011@$PHONE:5060>;expires=3600" \
	"the registrar's 200 OK lists the phone's binding (restored for the phone)"
expectations >"$WORK/accepted-expect.txt"
expect_in "$WORK/accepted-expect.txt" "src=$SERVER dst=$ROUTER_WAN sport=0 dport=5060 " \
	"the registrar's 200 OK opens the registration pinhole"
[ "$(stat registration_pinholes)" = 1 ] ||
	fail "registration_pinholes is $(stat registration_pinholes), want 1"

# 3. passed_too_big opens nothing. A phone on 10.0.0.2 (8 characters)
# appears as 203.0.113.1 (11): each of the INVITE's four occurrences grows
# it by 3 bytes, and it is padded to 1468 bytes, so that rewritten it no
# longer fits the 1500-byte MTU with DF set.
topology_up
rmmod sipalg
insmod "$ko" || fail "insmod failed"
short_phone_net 10.0.0.2
$SIPUA fill --set server=$SERVER --set phone=10.0.0.2 --set sip_port=5060 --set rtp_port=40000 \
	"$VM_DIR/msgs/invite.sip" >"$WORK/invite.sip"
$PY - "$WORK/invite.sip" "$WORK/big.sip" 1468 <<-'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
want = int(sys.argv[3])
head, _, body = data.partition(b"\r\n\r\n")
pad = want - len(data) - len(b"X-Pad: \r\n")
assert pad > 0, pad
head += b"\r\nX-Pad: " + b"p" * pad
out = head + b"\r\n\r\n" + body
assert len(out) == want, len(out)
open(sys.argv[2], "wb").write(out)
PY
serve_in_wan "$WORK/big.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/big" --no-reply
in_lan $SIPUA raw --bind 10.0.0.2:5060 --to $SERVER:5060 "$WORK/big.sip" >/dev/null
wait || fail "the INVITE did not reach the server: $(cat "$WORK/big.log")"
cmp -s "$WORK/big.sip" "$WORK/big/000.sip" || fail "the too-big INVITE was changed on its way"
say "ok: the INVITE that would not fit rewritten passed unmodified"
[ "$(stat passed_too_big)" = 1 ] || fail "passed_too_big is $(stat passed_too_big), want 1"
expectations >"$WORK/big-expect.txt"
expect_not_in "$WORK/big-expect.txt" "dport=40000 " "passed_too_big leaves no RTP pinhole"
expect_not_in "$WORK/big-expect.txt" "dport=40001 " "passed_too_big leaves no RTCP pinhole"
read -r opened closed < <(stat pinholes_opened pinholes_closed)
[ "$opened" = "$closed" ] || fail "pinholes opened $opened, closed $closed: want them equal"
say "ok: the pinholes it opened before the rewrite failed were closed ($opened opened, $closed closed)"
