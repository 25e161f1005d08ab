#!/bin/bash
# Malformed, truncated and hostile SIP (the core's corpus of invalid
# messages, each named after the reason it must be refused for) sent through
# the NAT: every datagram arrives, byte for byte as sent (nothing dropped,
# nothing half-rewritten), no pinhole opens, each is counted under its own
# reason in `sipalg stats`, and a valid call works right after.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
corpus="$TOP/tests/corpus/invalid"
mapfile -t files < <(ls "$corpus"/*.sip)

topology_up
insmod "$ko" || fail "insmod failed"
serve_in_wan "$WORK/server.log" --bind $SERVER:5060 --count ${#files[@]} --no-reply \
	--save-dir "$WORK/wan"
in_lan $SIPUA raw --bind $PHONE:5060 --to $SERVER:5060 "${files[@]}" >/dev/null
wait || fail "the server did not get all ${#files[@]} datagrams: $(cat "$WORK/server.log")"
say "ok: all ${#files[@]} malformed datagrams arrived (none dropped)"

for i in "${!files[@]}"; do
	got=$(printf '%s/%03d.sip' "$WORK/wan" "$i")
	cmp -s "${files[$i]}" "$got" || fail "$(basename "${files[$i]}") was modified on the way"
done
say "ok: each arrived byte for byte as sent"

[ -z "$(expectations)" ] || fail "malformed input opened pinholes:
$(expectations)"
say "ok: no pinhole opened"

# Each file's name starts with the reason it must be counted under.
in_rtr "$CLI" stats -j >"$WORK/stats.json"
$PY - "$WORK/stats.json" "${files[@]}" <<'PY' || fail "counters do not match what was sent"
import collections, json, os, sys
stats = json.load(open(sys.argv[1]))
want = collections.Counter(os.path.basename(f).split("-", 1)[0] for f in sys.argv[2:])
got = {k[len("passed_"):]: v for k, v in stats.items() if k.startswith("passed_") and v}
ok = dict(want) == got
for reason in sorted(set(want) | set(got)):
    mark = "" if want.get(reason, 0) == got.get(reason, 0) else "   <-- mismatch"
    print(f"    passed_{reason}: sent {want.get(reason, 0)}, counted {got.get(reason, 0)}{mark}")
sys.exit(0 if ok and stats["rewritten"] == 0 else 1)
PY
say "ok: every malformed message counted under its own reason, none rewritten"

register_and_invite "$WORK/call"
expect_in "$WORK/call/wan/001.sip" "c=IN IP4 $ROUTER_WAN" "a valid call right after is rewritten"
rtp_from_wan "$WORK/rtp.log" >/dev/null
expect_in "$WORK/rtp.log" "received 20 from $SERVER:50000" "and its media gets through"
