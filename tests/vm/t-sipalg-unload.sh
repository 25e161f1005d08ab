#!/bin/bash
# Unloading, reloading, flushing conntrack and tearing down the router's
# namespace while SIP flows through it are safe: no oops or warning (the VM
# runs with panic_on_warn), no module reference left behind, and a call
# works after each reload.
. "$(dirname "$0")/lib.sh"

ko="$TOP/sipalg.ko"

flood() { # flood SECONDS LOG: INVITEs with SDP from 16 source ports
	in_lan $SIPUA flood --bind $PHONE:0 --to $SERVER:5060 --flows 16 --seconds "$1" \
		"${CALL_VALUES[@]}" "$VM_DIR/msgs/invite.sip" >"$2" 2>&1 &
}

# The flood must really have run, or this test proves nothing.
flood_sent() {
	local sent
	sent=$(sed -n 's/^sent //p' "$1")
	[ "${sent:-0}" -ge 1000 ] || fail "the flood did not run: $(cat "$1")"
	echo "$sent"
}

topology_up
insmod "$ko" || fail "insmod failed"
flood 12 "$WORK/flood1.log"
for round in 1 2 3; do
	sleep 1
	rmmod sipalg || fail "rmmod under traffic failed (round $round)"
	insmod "$ko" || fail "insmod under traffic failed (round $round)"
	in_rtr conntrack -F >/dev/null 2>&1
done
sleep 1
expectations >"$WORK/expect.txt"
wait
say "ok: 3 unload/reload rounds and conntrack flushes under a flood of $(flood_sent "$WORK/flood1.log") INVITEs ($(wc -l <"$WORK/expect.txt") pinholes open)"

register_and_invite "$WORK/after"
expect_in "$WORK/after/wan/001.sip" "c=IN IP4 $ROUTER_WAN" "a call after the reloads is rewritten"

# Namespace teardown with traffic and pinholes in flight.
flood 4 "$WORK/flood2.log"
sleep 1
ip netns del rtr
wait
say "ok: router namespace deleted under a flood of $(flood_sent "$WORK/flood2.log") INVITEs"
rmmod sipalg || fail "rmmod after the namespace teardown failed"
say "ok: module unloads afterwards"
dmesg | grep -E 'WARNING|BUG|Oops|refcount|leak' && fail "kernel complained"
say "ok: dmesg clean"
