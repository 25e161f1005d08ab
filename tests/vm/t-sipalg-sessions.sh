#!/bin/bash
# The registrations and calls sipalg remembers for `sipalg connections`
# live in a table of fixed size (module parameter max_sessions), so no
# flood can make it grow: re-REGISTERs of one phone keep one entry; a
# flood of INVITEs with distinct Call-IDs fills the table and then reuses
# its oldest entries, counting each in sessions_evicted; a dump lists at
# most 32 per connection and says how many more there are; a connection's
# entries go with it; the count is per network namespace.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
sipalg() { in_rtr "$CLI" "$@"; }
stat() { sipalg_stat rtr "$1"; } # one counter or gauge of the router's namespace

topology_up

# A size out of range is refused at load, with the allowed range.
insmod "$ko" max_sessions=10 2>/dev/null && fail "max_sessions=10 was accepted"
dmesg | grep -q "max_sessions=10, allowed 64..1048576" ||
	fail "no message naming max_sessions=10 and the allowed range"
say "ok: max_sessions=10 refused: $(dmesg | grep -o 'max_sessions=10, allowed.*' | tail -n 1)"

insmod "$ko" max_sessions=64 || fail "insmod max_sessions=64 failed"
[ "$(stat sessions_max)" = 64 ] || fail "sessions_max is $(stat sessions_max), want 64"

flood() { # flood TEMPLATE COUNT: from the phone's port 5060, each its own Call-ID
	in_lan $SIPUA flood --bind $PHONE:5060 --to $SERVER:5060 --count "$2" --seconds 60 \
		--unique-call-id "${CALL_VALUES[@]}" "$VM_DIR/msgs/$1" >"$WORK/flood.log" 2>&1 ||
		fail "flood failed: $(cat "$WORK/flood.log")"
	sleep 0.5
}

# One phone re-registering over and over is one registration.
sipalg stats --reset
flood register.sip 500
messages=$(stat messages)
[ "$messages" -gt 400 ] || fail "only $messages of 500 REGISTERs reached the helper"
[ "$(stat sessions)" = 1 ] || fail "$messages REGISTERs of one phone left $(stat sessions) sessions, want 1"
say "ok: $messages REGISTERs of one address of record: 1 session"

# A flood of calls fills the table and goes no further.
sipalg stats --reset
flood invite.sip 1000
messages=$(stat messages)
sessions=$(stat sessions)
evicted=$(stat sessions_evicted)
[ "$messages" -gt 900 ] || fail "only $messages of 1000 INVITEs reached the helper"
[ "$sessions" = 64 ] || fail "after $messages INVITEs: $sessions sessions, want the 64 of max_sessions"
# Every new call beyond the 63 entries left free by the registration
# reused the oldest entry.
[ "$evicted" = $((messages - 63)) ] ||
	fail "sessions_evicted is $evicted after $messages new calls into 63 free entries, want $((messages - 63))"
say "ok: $messages INVITEs with distinct Call-IDs: $sessions sessions (the maximum), $evicted evicted"

# The newest calls are the ones kept; one connection lists 32 and a count.
sipalg connections >"$WORK/conns.txt"
sipalg connections -j >"$WORK/conns.json"
listed=$(grep -c "^ *call out" "$WORK/conns.txt")
[ "$listed" = 32 ] || fail "connections lists $listed calls, want 32:
$(head -n 40 "$WORK/conns.txt")"
expect_in "$WORK/conns.txt" "(32 more not listed)" "connections says how many more"
expect_in "$WORK/conns.txt" "call out $((messages - 1))-1589215404@$PHONE" "the newest call is kept"
expect_not_in "$WORK/conns.txt" "call out 0-1589215404@$PHONE" "the oldest call is gone"
$PY - "$WORK/conns.json" <<-'PY' || fail "connections -j disagrees: $(head -c 600 "$WORK/conns.json")"
	import json, sys
	conns = json.load(open(sys.argv[1]))
	assert sum(len(c["sessions"]) for c in conns) == 32, conns
	assert sum(c["sessions_omitted"] for c in conns) == 32, conns
	PY
say "ok: connections lists 32 sessions of the connection and '(32 more not listed)'"

# The count is the namespace's own.
[ "$(sipalg_stat lan sessions)" = 0 ] ||
	fail "the lan namespace counts the router's sessions"
say "ok: another namespace counts 0 sessions"

# A connection's sessions go with it.
in_rtr conntrack -F >/dev/null 2>&1
[ "$(stat sessions)" = 0 ] || fail "after conntrack -F: $(stat sessions) sessions left, want 0"
say "ok: conntrack -F frees every session"

rmmod sipalg || fail "rmmod failed"
dmesg | grep -E 'WARNING|BUG|Oops' && fail "kernel complained"
say "ok: unloads cleanly"
