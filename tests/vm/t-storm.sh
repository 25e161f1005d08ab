#!/bin/bash
# A storm of hostile and broken SIP through the NAT (tests/storm/sipstorm):
# STORM_COUNT datagrams (default 100000; `make stress`: 1000000) mutated
# from the corpus and the test messages (bit flips, truncation, duplicated
# and removed lines, datagrams up to 64 KiB in IP fragments, garbage, lying
# Content-Length, hundreds of headers...), from 8 flows, with valid calls
# (REGISTER, INVITE, RTP through the pinhole) during and after it; then
# mutated TCP streams. No oops or warning; every counter exactly what the
# generator computed with the core for each datagram; every datagram
# forwarded and delivered; TCP streams whole; the storm's pinholes go with
# its flows; the module unloads and leaves no expectation object behind.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
STORM="$TOP/build/storm/sipstorm"
count=${STORM_COUNT:-100000}
seed=${STORM_SEED:-1}
rate=${STORM_RATE:-20000}
conns=${STORM_TCP_CONNS:-100}
flows=8
# The storm's host: its address is shorter than the public one, so that
# rewriting makes messages grow, and the limits can be reached: 64 KiB, and
# the MTU for datagrams that fit it (sent with DF, as phones do).
SRC=10.0.0.2
seeds=("$TOP/tests/corpus/valid" "$TOP/tests/corpus/invalid" "$VM_DIR/msgs")
[ -x "$STORM" ] || fail "$STORM is not built (make vm-tools)"

# rtr's nft counter NAME: "packets bytes".
nft_counter() {
	in_rtr nft list counter inet storm "$1" | sed -n 's/.*packets \([0-9]*\) bytes \([0-9]*\).*/\1 \2/p'
}
# A counter of a namespace's /proc/net/snmp: snmp NS Tcp RetransSegs
snmp() {
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1 == p { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else print $col[f] }' /proc/net/snmp
}
storm_expectations() { expectations | grep -c "master-src=$SRC " || true; }

topology_up
ip -n lan addr add $SRC/24 dev lan0
ip -n rtr addr add 10.0.0.1/24 dev rtr-lan
in_rtr nft add rule inet nat_router postrouting oifname rtr-wan ip saddr 10.0.0.0/24 masquerade
# What the router forwards from the storm (datagrams after reassembly).
in_rtr nft -f - <<NFT
table inet storm {
	counter udp_fwd { }
	counter tcp_fwd { }
	chain forward {
		type filter hook forward priority filter - 1;
		ip saddr $SRC udp dport 5060 counter name udp_fwd
		ip saddr $SRC tcp dport 5060 counter name tcp_fwd
	}
}
NFT
# Room to reassemble many large datagrams at once.
for ns in rtr wan; do
	ip netns exec $ns sysctl -qw net.ipv4.ipfrag_high_thresh=134217728
done

slab0=$(expect_slab_objects)
insmod "$ko" || fail "insmod failed"
before=$(expectations | wc -l)

# ---- the UDP storm, with calls during it ----
in_wan "$STORM" sink --bind $PEER:5060 --count "$count" --idle 15 >"$WORK/sink.log" 2>&1 &
sink=$!
wait_ready "$WORK/sink.log"
drops0=$(snmp wan Udp RcvbufErrors)
start=$(date +%s)
in_lan "$STORM" udp --src $SRC --base-port 20000 --flows $flows --to $PEER:5060 \
	--public $ROUTER_WAN --count "$count" --seed "$seed" --rate "$rate" \
	--expect "$WORK/expect.json" "${seeds[@]}" >"$WORK/storm.log" 2>"$WORK/storm.err" &
storm=$!
calls=0
during=0
while kill -0 $storm 2>/dev/null; do
	call_and_media "$WORK/call-during-$calls"
	calls=$((calls + 1))
	if kill -0 $storm 2>/dev/null; then during=$((during + 1)); fi
done
wait $storm || fail "the storm generator failed: $(cat "$WORK/storm.log" "$WORK/storm.err")"
secs=$(($(date +%s) - start))
wait $sink
sed 's/^/    /' "$WORK/storm.log" "$WORK/storm.err"
sent=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$WORK/expect.json")
[ "$during" -ge 1 ] || fail "no call completed while the storm ran"
say "ok: storm of $sent datagrams (seed $seed) in ${secs}s; $calls calls during it" \
	"($during completed before its end), all working"

# Nothing silently dropped: the router forwarded and the sink received
# every datagram the generator sent.
read -r fwd _ < <(nft_counter udp_fwd)
received=$(sed -n 's/^udp: received \([0-9]*\) datagrams.*/\1/p' "$WORK/sink.log")
drops=$(($(snmp wan Udp RcvbufErrors) - drops0))
[ "$fwd" = "$sent" ] && [ "$received" = "$sent" ] ||
	fail "sent $sent, router forwarded $fwd, sink received ${received:-?} (sink buffer drops $drops): $(cat "$WORK/sink.log")"
say "ok: sent $sent = forwarded by the router $fwd = received on the WAN $received"

# The NAT kept every flow's port (the generator's plan assumed it).
in_rtr conntrack -L -p udp -s $SRC 2>/dev/null >"$WORK/ct.txt"
$PY - "$WORK/ct.txt" $flows <<'PY' || fail "NAT changed a storm flow's port: $(cat "$WORK/ct.txt")"
import re, sys
lines = [l for l in open(sys.argv[1]) if "dport=5060" in l]
ok = len(lines) == int(sys.argv[2])
for l in lines:
    sport = re.findall(r"sport=(\d+)", l)
    dport = re.findall(r"dport=(\d+)", l)
    ok = ok and sport[0] == dport[1]
sys.exit(0 if ok else 1)
PY

# The counters: exactly what the generator says, plus the calls: each is a
# REGISTER, an INVITE and their answers, 4 packets and messages, all
# rewritten, nothing passed.
in_rtr "$CLI" stats -j >"$WORK/stats.json"
$PY - "$WORK/expect.json" "$WORK/stats.json" $calls <<'PY' ||
import collections, json, sys
exp = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
calls = int(sys.argv[3])
call = collections.defaultdict(int, packets=4, messages=4, rewritten=4)
ok = True
def check(name, want, have):
    global ok
    bad = want != have
    ok = ok and not bad
    if want or have:
        print(f"    {name}: expected {want}, counted {have}{'   <-- mismatch' if bad else ''}")
check("packets", exp["sent"] + calls * call["packets"], got["packets"])
check("messages", exp["messages"] + calls * call["messages"], got["messages"])
either = exp["rewritten_or_unchanged"]
rw = exp["rewritten"] + calls * call["rewritten"]
un = exp["unchanged"] + calls * call["unchanged"]
check("rewritten + unchanged", rw + un + either, got["rewritten"] + got["unchanged"])
if not rw <= got["rewritten"] <= rw + either:
    ok = False
    print(f"    rewritten: expected {rw}..{rw + either}, counted {got['rewritten']}   <-- mismatch")
for name in sorted(k for k in got if k.startswith("passed_")):
    check(name, exp[name] + calls * call[name], got[name])
sys.exit(0 if ok else 1)
PY
	fail "the counters do not match what the storm sent"
say "ok: every counter exactly as the generator computed (plus $calls calls)"

storm_exp=$(storm_expectations)
during_exp=$(expectations | wc -l)

# ---- TCP: mutated streams ----
in_rtr "$CLI" stats --reset
retrans0=$(snmp lan Tcp RetransSegs)
in_wan "$STORM" sink --tcp --bind $PEER:5060 --conns "$conns" --idle 15 >"$WORK/tcpsink.log" 2>&1 &
sink=$!
wait_ready "$WORK/tcpsink.log"
in_lan "$STORM" tcp --src $SRC --to $PEER:5060 --conns "$conns" --msgs 20 --seed "$seed" \
	--expect "$WORK/tcp.json" "${seeds[@]}" >"$WORK/tcp.log" 2>&1 ||
	fail "TCP streams failed: $(cat "$WORK/tcp.log")"
wait $sink
retrans=$(($(snmp lan Tcp RetransSegs) - retrans0))
grep -hv '^ready$' "$WORK/tcp.log" "$WORK/tcpsink.log" | sed 's/^/    /'
in_rtr "$CLI" stats -j >"$WORK/tcpstats.json"
$PY - "$WORK/tcp.json" "$WORK/tcpstats.json" "$WORK/tcpsink.log" $retrans <<'PY' ||
import json, re, sys
sent = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
m = re.search(r"received (\d+) bytes on (\d+) connections \((\d+) closed cleanly", open(sys.argv[3]).read())
got, conns, clean = map(int, m.groups())
retrans = int(sys.argv[4])
want = sent["bytes"] + st["bytes_grown"] - st["bytes_shrunk"]
passed = {k[7:]: v for k, v in st.items() if k.startswith("passed_") and v}
print(f"    messages {st['messages']}, rewritten {st['rewritten']}, bytes grown "
      f"{st['bytes_grown']}, shrunk {st['bytes_shrunk']}, TCP retransmissions {retrans}")
print("    passed: " + ", ".join(f"{k} {v}" for k, v in sorted(passed.items())))
split = {k[10:]: v for k, v in st.items() if k.startswith("tcp_split_") and v}
print("    split across segments: " + (", ".join(f"{k} {v}" for k, v in split.items()) or "none"))
print(f"    bytes: sent {sent['bytes']} + grown - shrunk = {want}, received {got}")
ok = conns == sent["connections"] == clean and sent["failed"] == 0
# A retransmitted segment that is rewritten again is counted twice.
if got != want and retrans:
    print(f"    (not compared: {retrans} retransmissions)")
elif got != want:
    ok = False
sys.exit(0 if ok else 1)
PY
	fail "the TCP streams did not arrive whole"
say "ok: $conns mutated TCP streams arrived whole (received = sent + grown - shrunk)"
call_and_media "$WORK/call-after"
say "ok: a call after the storm and the TCP streams works"

# ---- the storm's pinholes go with its flows ----
in_rtr conntrack -D -s $SRC >/dev/null 2>&1
left=$(storm_expectations)
after=$(expectations | wc -l)
[ "$left" = 0 ] || fail "$left pinholes of the storm's flows left after deleting them:
$(expectations | grep "master-src=$SRC ")"
if expectations | grep -v "master-src=$PHONE " | grep -q .; then
	fail "pinholes of unknown flows left: $(expectations | grep -v "master-src=$PHONE ")"
fi
say "ok: pinholes: $before before the storm, $during_exp after it ($storm_exp the storm's);" \
	"$after once the storm's flows are deleted (0 the storm's, the rest the phone's calls)"

dmesg | grep -E 'WARNING|BUG|Oops|soft lockup|hung_task|refcount|leak|general protection' &&
	fail "kernel complained"
say "ok: dmesg clean"

in_rtr conntrack -F >/dev/null 2>&1
[ -z "$(expectations)" ] || fail "expectations left after conntrack -F: $(expectations)"
rmmod sipalg || fail "rmmod failed"
slab=$(expect_slab_objects "$slab0")
[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after unloading"
say "ok: module unloads; nf_conntrack_expect objects $slab0 before, $slab after"
