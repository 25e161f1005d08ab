#!/bin/bash
# IPv6, routed without NAT through the drop-policy firewall: sipalg leaves
# the messages byte for byte alone (nothing to translate) but opens the
# media pinhole to the phone that sent the SDP, so RTP from the server gets
# in; without sipalg it does not. SDP from the WAN naming the phone's
# address opens nothing toward the phone.
. "$(dirname "$0")/lib.sh"


# call DIR ANSWER_ADDR ANSWER_PORT
call6() {
	local dir=$1
	mkdir -p "$dir"
	serve_in_wan "$dir/server.log" --bind "[$SERVER6]:5060" --count 1 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer6.sdp" --set server="[$SERVER6]" \
		--set answer_addr="$2" --set answer_port="$3"
	in_lan $SIPUA send --bind "[$PHONE6]:5060" --to "[$SERVER6]:5060" --save "$dir/lan.sip" \
		--reply-save "$dir/reply.sip" --set phone=$PHONE6 --set server=$SERVER6 \
		"$VM_DIR/msgs/invite6.sip" >/dev/null || fail "IPv6 INVITE got no reply"
	wait
}

# rtp6 LOG PHONE_PORT: RTP from the server to the phone's port.
rtp6() {
	rtp_through lan "$1" "[$PHONE6]:$2" wan "[$SERVER6]:50000" "[$PHONE6]:$2" >/dev/null
}

topology_up
call6 "$WORK/none" "$SERVER6" 50000
rtp6 "$WORK/none/rtp.log" 40000
expect_in "$WORK/none/rtp.log" "received 0 " "no ALG: RTP from the WAN to the phone is dropped by the firewall"

topology_up
insmod "$ko" || fail "insmod failed"
call6 "$WORK/alg" "$SERVER6" 50000
cmp -s "$WORK/alg/lan.sip" "$WORK/alg/wan/000.sip" || fail "the IPv6 INVITE was modified without NAT"
say "ok: INVITE arrives byte for byte as sent (no NAT, nothing to rewrite)"
expectations >"$WORK/alg/expect.txt"
expect_in "$WORK/alg/expect.txt" "dst=$PHONE6 sport=0 dport=40000" "pinhole to the phone's own address and port"
rtp6 "$WORK/alg/rtp.log" 40000
expect_in "$WORK/alg/rtp.log" "received 20 from $SERVER6:50000" "RTP from the WAN reaches the phone"

# A hostile answer: the server's SDP names the phone's address and 40010.
topology_up
call6 "$WORK/hostile" "$PHONE6" 40010
expectations >"$WORK/hostile/expect.txt"
expect_not_in "$WORK/hostile/expect.txt" "dport=40010" "SDP from the WAN naming a LAN host opens no pinhole"
rtp6 "$WORK/hostile/rtp.log" 40010
expect_in "$WORK/hostile/rtp.log" "received 0 " "nothing from the WAN reaches the named LAN port"
