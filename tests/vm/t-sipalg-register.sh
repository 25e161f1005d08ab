#!/bin/bash
# Incoming calls to a phone behind the NAT: its REGISTER opens a pinhole
# for the registrar to reach the registered contact also from another
# source port (here the registrar sends INVITEs from 5080); the INVITE gets
# the helper (Request-URI to the phone's address, the phone's answer
# rewritten, media pinholes). Another WAN host cannot use the pinhole, and
# REGISTER with Expires 0 closes it. Without sipalg the INVITE is dropped.
# With registration-pinholes=when-needed a binding on the REGISTER's own
# source port gets no pinhole (the registrar reaches it over the REGISTER's
# flow, from the port the REGISTER went to, and from there only), while a
# TCP binding on the phone's listening port still gets its pinhole.
. "$(dirname "$0")/lib.sh"


register() { # register EXPIRES [CONTACT_PORT]
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --set expires="$1" \
		"${CALL_VALUES[@]}" --set sip_port="${2:-5060}" "$VM_DIR/msgs/register.sip" >/dev/null ||
		fail "REGISTER got no reply"
}

# incoming DIR FROM_IP [FROM_PORT]: an INVITE from FROM_IP:FROM_PORT (5080)
# to the phone's public contact; prints "delivered" if the phone got it.
incoming() {
	local dir=$1 from=$2 port=${3:-5080}
	mkdir -p "$dir"
	receive_one "$dir" --bind $PHONE:5060 --answer-sdp "$VM_DIR/msgs/answer.sdp" \
		--set server=$PHONE --set server_rtp_port=40000
	in_wan $SIPUA send --bind "$from:$port" --to $ROUTER_WAN:5060 --timeout 4 \
		--reply-save "$dir/reply.sip" --set server="$from" --set server_port="$port" \
		--set target=$ROUTER_WAN:5060 "$VM_DIR/msgs/invite-in.sip" >/dev/null 2>&1
	received "$dir" && echo delivered || echo dropped
}

# registrar: answers the REGISTER on 5060 (it is also the caller, from 5080).
registrar() { serve_in_wan "$WORK/registrar-$1.log" --bind $SERVER:5060 --count 1 --save-dir "$WORK/reg-$1"; }

topology_up
registrar none
register 3600
wait
[ "$(incoming "$WORK/none" $SERVER)" = dropped ] || fail "without sipalg the INVITE got in"
say "ok: no ALG: an INVITE from the registrar's other port is dropped"

topology_up
insmod "$ko" || fail "insmod failed"
registrar alg
register 3600
wait
expectations >"$WORK/expect.txt"
expect_in "$WORK/expect.txt" "src=$SERVER dst=$ROUTER_WAN sport=0 dport=5060" "REGISTER opened a pinhole from the registrar to the contact"
[ "$(incoming "$WORK/in" $SERVER)" = delivered ] || fail "the registrar's INVITE from port 5080 did not reach the phone"
say "ok: the registrar's INVITE from port 5080 reaches the phone"
expect_in "$WORK/in/lan/000.sip" "INVITE sip:011@$PHONE:5060 SIP/2.0" "Request-URI now names the phone"
expect_in "$WORK/in/reply.sip" "c=IN IP4 $ROUTER_WAN" "the phone's answer leaves with the public address"
content_length_exact "$WORK/in/reply.sip" || fail "answer Content-Length wrong"
rtp_from_wan "$WORK/rtp.log" "$PHONE:40000" "$SERVER:52000" 40000 >/dev/null
expect_in "$WORK/rtp.log" "received 20 from $SERVER:52000" "media of the incoming call reaches the phone"

[ "$(incoming "$WORK/other" $PEER)" = dropped ] || fail "another WAN host used the registration pinhole"
say "ok: another WAN host cannot use the pinhole"

registrar off
register 0
wait
expectations >"$WORK/expect-off.txt"
expect_not_in "$WORK/expect-off.txt" "dport=5060 mask" "REGISTER with Expires 0 closed the pinhole"
# (From a new port: the call from 5080 is an established flow by now.)
[ "$(incoming "$WORK/after" $SERVER 5082)" = dropped ] || fail "the INVITE got in after unregistering"
say "ok: after unregistering a new INVITE from the registrar is dropped again"

# registration-pinholes=when-needed: the binding on the REGISTER's source
# port is left to the REGISTER's own flow.
in_rtr "$TOP/cli/sipalg" set registration-pinholes=when-needed || fail "set registration-pinholes"
on_flow0=$(sipalg_stat rtr registrations_on_flow)
registrar flow
register 3600
wait
expectations >"$WORK/expect-flow.txt"
expect_not_in "$WORK/expect-flow.txt" "dport=5060 mask" "when-needed: no pinhole for a binding on the REGISTER's own flow"
[ "$(sipalg_stat rtr registrations_on_flow)" = $((on_flow0 + 1)) ] ||
	fail "registrations_on_flow did not count the binding"
[ "$(incoming "$WORK/flow" $SERVER 5060)" = delivered ] ||
	fail "when-needed: the registrar's INVITE from 5060 (the REGISTER's flow) did not reach the phone"
say "ok: when-needed: no pinhole, and the registrar's INVITE over the REGISTER's flow reaches the phone"
[ "$(incoming "$WORK/flow-other" $SERVER 5084)" = dropped ] ||
	fail "when-needed: an INVITE from another port of the registrar got in without a pinhole"
say "ok: when-needed: from another port of the registrar it does not (the trade-off)"

# Over UDP every binding the core accepts is on the REGISTER's own port;
# over TCP a phone names its listening port, not its connection's: that
# binding still gets its pinhole.
serve_in_wan "$WORK/registrar-tcp.log" --tcp --bind $SERVER:5060 --count 1 --save-dir "$WORK/reg-tcp"
in_lan $SIPUA send --tcp --bind $PHONE:5063 --to $SERVER:5060 --set expires=3600 "${CALL_VALUES[@]}" \
	--set sip_port=5062 --set transport=TCP "$VM_DIR/msgs/register.sip" >/dev/null ||
	fail "REGISTER over TCP got no reply"
wait
expectations >"$WORK/expect-off-flow.txt"
expect_in "$WORK/expect-off-flow.txt" "proto=6 src=$SERVER dst=$ROUTER_WAN sport=0 dport=5062" \
	"when-needed: a TCP binding on the phone's listening port opened a pinhole"
in_rtr "$TOP/cli/sipalg" set registration-pinholes=always || fail "set registration-pinholes"
registrar always
register 3600
wait
expectations >"$WORK/expect-always.txt"
expect_in "$WORK/expect-always.txt" "src=$SERVER dst=$ROUTER_WAN sport=0 dport=5060" \
	"always again: the binding on the REGISTER's flow has its pinhole"
