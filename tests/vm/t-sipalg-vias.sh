#!/bin/bash
# Vias belong to whoever wrote them. A response carries the requester's
# Vias back byte for byte (RFC 3261 8.2.6.2), and a client drops one whose
# top Via it did not write (18.1.2); only the top Via is the sender's own.
#
# In: the phone registers; its registrar, a proxy, forwards it an INVITE
# over that flow with three Vias: its own, another proxy's, and a far
# caller's behind its own NAT with the very same private address:port as
# our phone. The phone's 200 OK must cross the router with the three Vias
# untouched while its Contact and SDP go to the public address.
# Out: the phone sends an INVITE whose top Via is its own, followed by the
# Via of an upstream hop at 192.168.0.10:5060 (the same address:port) and
# one of a neighbour behind the same public address (203.0.113.1:5062):
# only the top Via changes on the way out, and only the top Via is restored
# in the answer.
#
# Every message is taken from tcpdump captures on both sides of the router
# (lan0 before it, wan0 after it). The kernel's nf_conntrack_sip/nf_nat_sip
# runs the same scenario first; what it does to the Vias is printed, not
# asserted.
. "$(dirname "$0")/lib.sh"


CAP_PIDS=()
# capture_start PREFIX: SIP on lan0 (the phone's side) and wan0 (the far
# side) into PREFIX-lan.pcap and PREFIX-wan.pcap.
capture_start() {
	local ns _
	CAP=$1
	ip netns exec lan tcpdump -Z root --immediate-mode -U -n -i lan0 -w "$CAP-lan.pcap" udp port 5060 \
		>"$CAP-lan.log" 2>&1 &
	CAP_PIDS+=($!)
	ip netns exec wan tcpdump -Z root --immediate-mode -U -n -i wan0 -w "$CAP-wan.pcap" udp port 5060 \
		>"$CAP-wan.log" 2>&1 &
	CAP_PIDS+=($!)
	for ns in lan wan; do
		for _ in $(seq 100); do
			grep -q listening "$CAP-$ns.log" && continue 2
			sleep 0.1
		done
		fail "tcpdump in $ns did not start: $(cat "$CAP-$ns.log")"
	done
}
capture_stop() {
	kill -INT "${CAP_PIDS[@]}" 2>/dev/null
	wait "${CAP_PIDS[@]}" 2>/dev/null
	CAP_PIDS=()
}

# pcap_sip PCAP START TEXT OUT: write to OUT the UDP payload of the first
# IPv4 packet in PCAP (Ethernet) that starts with START and holds TEXT.
pcap_sip() {
	$PY - "$@" <<-'PY' || fail "no '$2' message with '$3' in $(basename "$1")"
	import struct, sys
	path, start, text, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4]
	data = open(path, "rb").read()
	end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
	off = 24
	while off + 16 <= len(data):
	    incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
	    pkt = data[off + 16:off + 16 + incl]
	    off += 16 + incl
	    if pkt[12:14] != b"\x08\x00":
	        continue
	    ip = pkt[14:]
	    if ip[9] != 17:
	        continue
	    total = struct.unpack(">H", ip[2:4])[0]
	    payload = ip[(ip[0] & 15) * 4 + 8:total]
	    if payload.startswith(start) and text in payload:
	        open(out, "wb").write(payload)
	        sys.exit(0)
	sys.exit(1)
	PY
}

# vias FILE [FROM]: the Via header lines of a SIP message, CRs kept, from
# the FROM-th one on (default 1).
vias() {
	sed -n '/^\r\?$/q; /^[Vv]\(ia\)\?[ \t]*:/p' "$1" | tail -n +"${2:-1}"
}
# line FILE NAME: a header line of a SIP message (the first with NAME).
line() { sed -n '/^\r\?$/q; /^'"$2"'[ \t]*:/{p;q}' "$1"; }

# same_vias WHAT A B [FROM]: do A and B have byte-identical Vias?
same_vias() {
	cmp -s <(vias "$2" "${4:-1}") <(vias "$3" "${4:-1}") || fail "$1:
$(diff <(vias "$2" "${4:-1}" | tr -d '\r') <(vias "$3" "${4:-1}" | tr -d '\r') | sed 's/^/    | /')"
	say "ok: $1"
}

# report WHAT A B [FROM]: say whether A and B have the same Vias (the
# kernel helper's run: shown, not judged).
report() {
	if cmp -s <(vias "$2" "${4:-1}") <(vias "$3" "${4:-1}"); then
		say "kernel helper: $1: byte for byte"
	else
		say "kernel helper: $1: CHANGED"
		diff <(vias "$2" "${4:-1}" | tr -d '\r') <(vias "$3" "${4:-1}" | tr -d '\r') | sed 's/^/    | /'
	fi
}

# incoming DIR: REGISTER, then the registrar's INVITE with three Vias to
# the phone's public address over the registration's flow, answered by
# the phone. DIR/in-{lan,wan}-{invite,ok}.sip: the INVITE and the 200 OK
# as captured on each side.
incoming() {
	local dir=$1 phone
	mkdir -p "$dir"
	serve_in_wan "$dir/registrar.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/reg"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply ($dir)"
	wait
	capture_start "$dir/in"
	serve_in lan "$dir/phone.log" --bind $PHONE:5060 --count 1 --save-dir "$dir/lan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" --set server=$PHONE --set server_rtp_port=40000
	phone=$!
	in_wan $SIPUA send --bind $SERVER:5060 --to $ROUTER_WAN:5060 --save "$dir/wan-sent.sip" \
		--reply-save "$dir/wan-got.sip" --set server=$SERVER --set phone=$PHONE \
		--set target=$ROUTER_WAN:5060 "$VM_DIR/msgs/invite-vias-in.sip" >/dev/null ||
		fail "the proxy's INVITE got no answer ($dir): $(cat "$dir/phone.log")"
	capture_stop
	wait "$phone"
	local side
	for side in lan wan; do
		pcap_sip "$dir/in-$side.pcap" "INVITE " far-vias-1 "$dir/in-$side-invite.sip"
		pcap_sip "$dir/in-$side.pcap" "SIP/2.0 200 " far-vias-1 "$dir/in-$side-ok.sip"
	done
}

# outgoing DIR: the phone's INVITE with three Vias, answered by the server.
# DIR/out-{lan,wan}-{invite,ok}.sip as captured on each side.
outgoing() {
	local dir=$1 srv side
	mkdir -p "$dir"
	capture_start "$dir/out"
	serve_in_wan "$dir/server.log" --bind $SERVER:5060 --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
	srv=$!
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 --save "$dir/lan-sent.sip" \
		--reply-save "$dir/lan-got.sip" "${CALL_VALUES[@]}" --set router=$ROUTER_WAN \
		"$VM_DIR/msgs/invite-vias-out.sip" >/dev/null ||
		fail "the phone's INVITE got no answer ($dir): $(cat "$dir/server.log")"
	capture_stop
	wait "$srv"
	for side in lan wan; do
		pcap_sip "$dir/out-$side.pcap" "INVITE " vias-out-1 "$dir/out-$side-invite.sip"
		pcap_sip "$dir/out-$side.pcap" "SIP/2.0 200 " vias-out-1 "$dir/out-$side-ok.sip"
	done
}

say "with nf_conntrack_sip + nf_nat_sip"
topology_up
use_kernel_helper
k="$WORK/kernel"
incoming "$k"
outgoing "$k"
report "in: the phone's 200 OK, its 3 Vias after the router" "$k/in-lan-ok.sip" "$k/in-wan-ok.sip"
report "in: the proxy's INVITE, its 3 Vias at the phone" "$k/in-wan-invite.sip" "$k/in-lan-invite.sip"
report "out: the phone's INVITE, its lower 2 Vias after the router" \
	"$k/out-lan-invite.sip" "$k/out-wan-invite.sip" 2
report "out: the answer, its lower 2 Vias at the phone" "$k/out-wan-ok.sip" "$k/out-lan-ok.sip" 2
say "kernel helper: out: top Via of the INVITE after the router: $(vias "$k/out-wan-invite.sip" | head -1 | tr -d '\r')"
say "kernel helper: out: top Via of the answer at the phone:     $(vias "$k/out-lan-ok.sip" | head -1 | tr -d '\r')"
say "kernel helper: in: the 200 OK after the router: $(line "$k/in-wan-ok.sip" Contact | tr -d '\r'), $(grep -a '^c=' "$k/in-wan-ok.sip" | tr -d '\r')"

say "with sipalg"
topology_up
insmod "$ko" || fail "insmod failed"
s="$WORK/sipalg"
incoming "$s"
outgoing "$s"

# In: the far caller's INVITE and the phone's answer.
cmp -s "$s/wan-got.sip" "$s/in-wan-ok.sip" || fail "the capture on wan0 is not what the proxy got"
[ "$(vias "$s/in-lan-ok.sip" | wc -l)" = 3 ] || fail "the phone's 200 OK does not have 3 Vias:
$(sed 's/^/    | /' "$s/in-lan-ok.sip")"
expect_in "$s/in-lan-ok.sip" "Via: SIP/2.0/UDP $PHONE:5060;received=192.0.2.50;rport=5062;branch=z9hG4bKfarcaller" \
	"in: the phone answers with the far caller's Via naming its own address:port"
same_vias "in: the 200 OK's 3 Vias cross the router byte for byte" "$s/in-lan-ok.sip" "$s/in-wan-ok.sip"
same_vias "in: the proxy gets back exactly the Vias it sent" "$s/in-wan-invite.sip" "$s/in-wan-ok.sip"
same_vias "in: the INVITE's Vias reach the phone byte for byte" "$s/in-wan-invite.sip" "$s/in-lan-invite.sip"
expect_in "$s/in-lan-invite.sip" "INVITE sip:011@$PHONE:5060 SIP/2.0" "in: the Request-URI (the phone's) names the phone"
expect_in "$s/in-lan-invite.sip" "Contact: <sip:200@192.0.2.50:5062>" "in: the far caller's Contact left alone"
expect_in "$s/in-lan-ok.sip" "Contact: <sip:server@$PHONE>" "in: the phone's Contact as it wrote it"
expect_in "$s/in-wan-ok.sip" "Contact: <sip:server@$ROUTER_WAN>" "in: the phone's Contact on the public address after the router"
expect_in "$s/in-wan-ok.sip" "c=IN IP4 $ROUTER_WAN" "in: the phone's SDP c= on the public address after the router"
expect_not_in "$s/in-wan-ok.sip" "c=IN IP4 $PHONE" "in: no private SDP address left"
expect_in "$s/in-wan-ok.sip" "$(line "$s/in-wan-invite.sip" To | tr -d '\r');tag=srv1" \
	"in: the To comes back to the proxy as it wrote it"
expect_in "$s/in-wan-ok.sip" "$(line "$s/in-wan-invite.sip" From | tr -d '\r')" "in: the From comes back as it was"
content_length_exact "$s/in-wan-ok.sip" || fail "in: the 200 OK's Content-Length is wrong"
say "ok: in: the 200 OK's Content-Length exact"

# Out: the phone's INVITE and the server's answer.
cmp -s "$s/lan-got.sip" "$s/out-lan-ok.sip" || fail "the capture on lan0 is not what the phone got"
expect_in "$s/out-wan-invite.sip" "Via: SIP/2.0/UDP $ROUTER_WAN:5060;branch=z9hG4bKphone;rport" \
	"out: the phone's own (top) Via on the public address"
same_vias "out: the INVITE's lower 2 Vias cross the router byte for byte" \
	"$s/out-lan-invite.sip" "$s/out-wan-invite.sip" 2
expect_in "$s/out-wan-invite.sip" "Contact: <sip:011@$ROUTER_WAN:5060>" "out: the phone's Contact on the public address"
expect_in "$s/out-wan-invite.sip" "c=IN IP4 $ROUTER_WAN" "out: the phone's SDP on the public address"
expect_in "$s/out-lan-ok.sip" "Via: SIP/2.0/UDP $PHONE:5060;branch=z9hG4bKphone;rport" \
	"out: the answer's top Via restored to the phone's"
same_vias "out: the answer's lower 2 Vias reach the phone byte for byte (one names $ROUTER_WAN:5062)" \
	"$s/out-wan-ok.sip" "$s/out-lan-ok.sip" 2
same_vias "out: the phone gets back the lower Vias it sent" "$s/out-lan-invite.sip" "$s/out-lan-ok.sip" 2
