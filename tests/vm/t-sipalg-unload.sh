#!/bin/bash
# Unloading, reloading, reconfiguring the ports, flushing conntrack and
# tearing down the router's namespace while SIP flows through it are safe:
# no oops or warning (the VM runs with panic_on_warn), no module reference
# left behind, a call works after each step, and after every unload no
# expectation is left and the nf_conntrack_expect slab is back where it
# was (no leak).
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
STORM="$TOP/build/storm/sipstorm"
[ -x "$STORM" ] || fail "$STORM is not built (make vm-tools)"

flood() { # flood SECONDS LOG: INVITEs with SDP from 16 source ports
	in_lan $SIPUA flood --bind $PHONE:0 --to $SERVER:5060 --flows 16 --seconds "$1" \
		"${CALL_VALUES[@]}" "$VM_DIR/msgs/invite.sip" >"$2" 2>&1 &
	wait_ready "$2"
}

# The flood must really have run, or this test proves nothing.
flood_sent() {
	FLOOD_SENT=$(sed -n 's/^sent //p' "$1")
	[ "${FLOOD_SENT:-0}" -ge 1000 ] || fail "the flood did not run: $(cat "$1")"
}

# After an unload: no expectation in the router, no expectation object
# more than before the module was first loaded.
unloaded_clean() {
	local left slab
	left=$(expectations | wc -l)
	[ "$left" -eq 0 ] || fail "$left expectations left after rmmod: $(expectations | head)"
	slab=$(expect_slab_objects "$slab0")
	[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after unloading"
	SLAB=$slab
}

topology_up
slab0=$(expect_slab_objects)
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
flood_sent "$WORK/flood1.log"
say "ok: 3 unload/reload rounds and conntrack flushes under a flood of $FLOOD_SENT INVITEs ($(wc -l <"$WORK/expect.txt") pinholes open)"

register_and_invite "$WORK/after"
expect_in "$WORK/after/wan/001.sip" "c=IN IP4 $ROUTER_WAN" "a call after the reloads is rewritten"

# ---- ports reconfigured under traffic ----
# New INVITEs and REGISTERs, every one a call or registration of its own,
# to ports 5060 and 5070 from flows that keep changing source port (new
# conntracks all the time, each getting the helper or not by the ports of
# the moment), while the ports, the off switch and the module itself change.
floods=()
for port in 5060 5070; do
	# (not in_wan/in_lan: $! must be the process itself, to stop it)
	ip netns exec wan "$STORM" sink --bind $PEER:$port --idle 300 >"$WORK/sink$port.log" 2>&1 &
	floods+=($!)
	wait_ready "$WORK/sink$port.log"
	ip netns exec lan "$STORM" calls --src $PHONE2 --to $PEER:$port --flows 8 --rotate 3 \
		--count 100000000 --seconds 120 --first $((port * 1000000)) >"$WORK/calls$port.log" 2>&1 &
	floods+=($!)
done
sets=0
for round in 1 2; do
	for ports in 5060,5070 5070 5061,5062,5063,5064,5065,5066,5067,5070 5060; do
		in_rtr "$CLI" set ports=$ports || fail "set ports=$ports under traffic failed"
		sets=$((sets + 1))
		sleep 0.2
	done
	in_rtr "$CLI" set disabled=yes && sleep 0.2 && in_rtr "$CLI" set disabled=no ||
		fail "disabled=yes/no under traffic failed"
	sets=$((sets + 2))
	if [ $round = 2 ]; then
		rmmod sipalg || fail "rmmod under reconfiguration failed"
		insmod "$ko" || fail "insmod under reconfiguration failed"
		# Existing flows (the phone's) get the helper again only as new
		# conntracks: a reload needs a flush, as with any conntrack helper.
		in_rtr conntrack -F >/dev/null 2>&1
	fi
done
in_rtr "$CLI" set ports=5060,5070 || fail "set failed"
sleep 1
pinholes=$(expectations | wc -l)
kill -TERM "${floods[@]}"
wait "${floods[@]}"
for port in 5060 5070; do
	grep -q "^calls: sent [1-9]" "$WORK/calls$port.log" ||
		fail "the flood to $port did not run: $(cat "$WORK/calls$port.log")"
done
[ "$pinholes" -gt 0 ] || fail "no pinholes open at the end of the floods: the helper did not work"
say "ok: $sets configuration changes and a reload under floods to 5060 and 5070:" \
	"$(sed -n 's/^calls: sent \([0-9]*\) .* on \([0-9]*\) flows.*/\1 requests on \2 flows/p' \
		"$WORK/calls5060.log" "$WORK/calls5070.log" | paste -sd, | sed 's/,/ and /')" \
	"($pinholes pinholes open at the end)"
[ "$(in_rtr "$CLI" print -j)" = "$(in_rtr "$CLI" print -j | sed 's/"ports":\[[0-9,]*\]/"ports":[5060,5070]/')" ] ||
	fail "the configuration is not what was set last: $(in_rtr "$CLI" print)"
register_and_invite "$WORK/after-set"
expect_in "$WORK/after-set/wan/001.sip" "c=IN IP4 $ROUTER_WAN" "a call after the reconfigurations is rewritten"
[ "$(expectations | wc -l)" -gt 0 ] || fail "no pinholes open before the unload: nothing to check"
before=$(expectations | wc -l)
rmmod sipalg || fail "rmmod after the reconfigurations failed"
unloaded_clean
say "ok: unloaded with $before pinholes open: none left; nf_conntrack_expect objects $slab0 before, $SLAB after"

# Namespace teardown with traffic and pinholes in flight.
insmod "$ko" || fail "insmod failed"
register_and_invite "$WORK/before-del" >/dev/null
flood 4 "$WORK/flood2.log"
sleep 1
ip netns del rtr
wait
flood_sent "$WORK/flood2.log"
say "ok: router namespace deleted under a flood of $FLOOD_SENT INVITEs"
rmmod sipalg || fail "rmmod after the namespace teardown failed"
slab=$(expect_slab_objects "$slab0")
[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after the teardown and unload"
say "ok: module unloads afterwards; nf_conntrack_expect objects $slab0 before, $slab after"
dmesg | grep -E 'WARNING|BUG|Oops|refcount|leak' && fail "kernel complained"
say "ok: dmesg clean"
