#!/bin/bash
# sipalg trace: what the helper did to each SIP message, checked against
# the wire. While `sipalg trace -j` runs on the router, tcpdump captures
# lan0 (before the router) and wan0 (after it); trace_check.py then matches
# every record to the message it describes on both sides and proves the
# record right byte for byte: each edit's old bytes are what arrived,
# applying the edits gives what left (and undoing them gives back what
# arrived), a message that passed or was not translated left unchanged,
# line numbers are the message's, every captured message has exactly one
# record and no record is left over.
#
# The traffic, all in one capture:
#   1. UDP REGISTER and INVITE with their 200 OKs (rewritten both ways);
#   2. an INVITE with compact headers (i: m: l: v:);
#   3. TCP: REGISTER and INVITE in one segment (the second at an offset in
#      it), then BYE in the next; a second connection with an MSS of 300
#      (TSO/GSO off on the phone's veth) sends an INVITE the kernel cuts
#      into segments: sipalg holds and joins them (tcp_split_joined), and
#      the trace has one rewritten record for it, at its first byte, whose
#      old bytes are the whole INVITE as sent and whose edits give what
#      the server got (trace_check reassembles the LAN stream for it);
#   4. IPv6 routed (no_nat: looked at, untouched), then IPv6 through a
#      test-local masquerade rule (NAT66, rewritten);
#   5. two datagrams with a bad Content-Length (a value that is no number,
#      and one that lies about the body): passed, at the Content-Length
#      line, which this test finds in the file it sends.
# The records must also say what each scenario did (the INVITE's media
# pinhole opening, the BYE closing it, msg_off > 0, the joined INVITE, no_nat,
# NAT66, the Content-Length line), and the text trace the reason in words.
# Listening at the same time: filtered traces (6: --call-id, --address,
# --method INVITE also showing the answers, --status 2xx, --passed, and
# repeated flags ORed, different ones ANDed) print exactly the records of
# the unfiltered one that match; --full (7) passes the same check with
# whole messages; a trace in the lan namespace (8) sees nothing.
# Around it: as uid 65534 (9) the CLI refuses and the kernel does not let
# the process join the trace groups (the events group, as a control, it
# can); trace_sent does not move while nobody traces (10); each trace
# leaves on SIGINT with status 0 and nothing was lost (11).
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
CHECK="$PY $VM_DIR/trace_check.py"
[ -x "$CLI" ] || fail "$CLI is not built (make -C cli)"

# The listeners (trace_start, trace_stop) and the captures
# (sip_capture_start, sip_capture_stop) are in lib.sh.

# records_check FILE EXPR WHAT: the Python expression EXPR is true with
# `recs` the list of records in FILE (JSON lines).
records_check() {
	$PY - "$1" "$2" >"$WORK/records_check.txt" <<-'PY' ||
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	if eval(sys.argv[2]):
	    sys.exit(0)
	for r in recs:  # one line a record, for the failure message
	    c = r["connection"]
	    print(f"    | {c['family']} {c['proto']} {r['direction']:8} {r['outcome']:9} "
	          f"{r['reason'] or ''} {r['start_line'][:50]!r} call-id {r['call_id']} tcp {r['tcp']} "
	          f"edits {len(r['edits'])} pinholes {[p['action'] for p in r['pinholes']]}")
	sys.exit(1)
	PY
		fail "$3: '$2' is false for $(basename "$1"):
$(cat "$WORK/records_check.txt")"
	say "ok: $3"
}

# ---- the scenarios ----

tcp_values=("${CALL_VALUES[@]}" --set transport=TCP)

compact_invite() { # 2.
	local dir=$WORK/compact
	serve_in_wan "$dir.log" --bind $SERVER:5060 --count 1 --save-dir "$dir" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}"
	in_lan $SIPUA send --bind $PHONE:5060 --to $SERVER:5060 "${CALL_VALUES[@]}" \
		"$VM_DIR/msgs/invite-compact.sip" >/dev/null || fail "compact INVITE got no reply"
	wait
}

tcp_calls() { # 3., as t-sipalg-tcp does
	local dir=$WORK/tcp
	serve_in_wan "$dir-1.log" --tcp --bind $SERVER:5060 --count 3 --save-dir "$dir/wan1" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $SIPUA send --tcp --split-after 2 --bind $PHONE:5070 --to $SERVER:5060 \
		"${tcp_values[@]}" "$VM_DIR/msgs/register.sip" "$VM_DIR/msgs/invite.sip" \
		"$VM_DIR/msgs/bye.sip" >/dev/null || fail "TCP: no replies to the three messages"
	wait
	# A second connection (MSS 300, Nagle off, each message written at
	# once): the kernel cuts the INVITE into segments, which sipalg holds
	# and joins, so the helper rewrites it whole. TSO/GSO off on the
	# phone's veth, else it would pass the INVITE as one GSO packet.
	in_lan ethtool -K lan0 tso off gso off >/dev/null 2>&1 ||
		fail "ethtool -K lan0 tso off gso off failed in the lan namespace"
	read -r joined0 < <(sipalg_stat rtr tcp_split_joined)
	serve_in_wan "$dir-2.log" --tcp --bind $SERVER:5060 --count 2 --save-dir "$dir/wan2" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${tcp_values[@]}"
	in_lan $PY "$VM_DIR/tcp_calls.py" --bind $PHONE:5071 --to $SERVER:5060 \
		--mss 300 --calls 1 --save-dir "$dir/lan2" "${tcp_values[@]}" \
		"$VM_DIR/msgs/invite.sip" "$VM_DIR/msgs/bye.sip" >/dev/null ||
		fail "TCP: no reply to the INVITE cut by MSS 300 or its BYE"
	wait
	read -r joined1 < <(sipalg_stat rtr tcp_split_joined)
	[ "$joined1" -gt "$joined0" ] ||
		fail "the INVITE cut by MSS 300 was not joined: tcp_split_joined $joined0 -> $joined1"
	! cmp -s "$dir/lan2/000.sip" "$dir/wan2/000.sip" || fail "the INVITE cut by MSS 300 left unchanged"
}

# call6 NAME PORT: an IPv6 INVITE from the phone's PORT, answered.
call6() {
	local dir=$WORK/$1 port=$2
	# invite6.sip names port 5060 in its Via and Contact; the NAT66 call
	# comes from another port (a new conntrack), and says so.
	sed 's/\]:5060/]:{sip_port}/' "$VM_DIR/msgs/invite6.sip" >"$WORK/invite6-port.sip"
	serve_in_wan "$dir.log" --bind "[$SERVER6]:5060" --count 1 --save-dir "$dir" \
		--answer-sdp "$VM_DIR/msgs/answer6.sdp" --set server="[$SERVER6]" \
		--set answer_addr=$SERVER6 --set answer_port=50000
	in_lan $SIPUA send --bind "[$PHONE6]:$port" --to "[$SERVER6]:5060" --set phone=$PHONE6 \
		--set server=$SERVER6 --set sip_port="$port" "$WORK/invite6-port.sip" >/dev/null ||
		fail "IPv6 INVITE from port $port got no reply"
	wait
}

# 5. Two datagrams with a bad Content-Length, each with a Call-ID of its
# own: "12x" (no number) and 300 (the body is 0 bytes).
bad_content_length() {
	local name value
	for name in nonumber:12x lying:300; do
		value=${name#*:}
		name=${name%:*}
		printf '%s\r\n' "OPTIONS sip:$name@$SERVER SIP/2.0" \
			"Via: SIP/2.0/UDP $PHONE:5060;branch=z9hG4bKbad$name;rport" \
			"From: <sip:011@$SERVER>;tag=bad" "To: <sip:$name@$SERVER>" \
			"Call-ID: bad-cl-$name@$PHONE" "CSeq: 1 OPTIONS" \
			"Contact: <sip:011@$PHONE:5060>" "Content-Length: $value" "" >"$WORK/bad-$name.sip"
	done
	serve_in_wan "$WORK/bad.log" --bind $SERVER:5060 --count 2 --no-reply --save-dir "$WORK/bad"
	in_lan $SIPUA raw --bind $PHONE:5060 --to $SERVER:5060 "$WORK/bad-nonumber.sip" \
		"$WORK/bad-lying.sip" >/dev/null
	wait || fail "the bad Content-Length datagrams did not arrive: $(cat "$WORK/bad.log")"
}

topology_up
insmod "$ko" || fail "insmod failed"

# 9. Without CAP_NET_ADMIN: the CLI refuses with one line and status 1,
# and the kernel itself refuses the trace groups to a raw netlink socket
# (the events group, which any user may join, is the control).
mkdir -p "$WORK/nobody"
install -m 755 "$CLI" "$WORK/nobody/sipalg"
chmod 755 "$WORK"
nobody() { in_rtr setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$@"; }
status=0
nobody timeout 10 "$WORK/nobody/sipalg" trace -j >"$WORK/nobody.out" 2>"$WORK/nobody.err" || status=$?
[ "$status" = 1 ] || fail "trace as uid 65534: exit status $status, want 1 (124: it was let in and ran): $(cat "$WORK/nobody.err")"
[ "$(cat "$WORK/nobody.err")" = "sipalg: trace needs CAP_NET_ADMIN" ] ||
	fail "trace as uid 65534: stderr is '$(cat "$WORK/nobody.err")'"
[ ! -s "$WORK/nobody.out" ] || fail "trace as uid 65534 printed: $(cat "$WORK/nobody.out")"
say "ok: trace as uid 65534: 'sipalg: trace needs CAP_NET_ADMIN', status 1"
nobody $PY - sipalg events trace trace-full >"$WORK/join.txt" 2>&1 <<-'PY' ||
	# Join generic netlink multicast groups of a family by name, as any
	# program could: one line per group, "NAME joined" or "NAME refused: ERR".
	import os, socket, struct, sys
	NETLINK_GENERIC, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 16, 270, 1
	def attrs(data):
	    out, off = [], 0
	    while off + 4 <= len(data):
	        alen, atype = struct.unpack("=HH", data[off:off + 4])
	        out.append((atype & 0x3FFF, data[off + 4:off + alen]))
	        off += (alen + 3) & ~3
	    return out
	sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
	sock.bind((0, 0))
	name = sys.argv[1].encode() + b"\0"
	attr = struct.pack("=HH", 4 + len(name), 2) + name  # CTRL_ATTR_FAMILY_NAME
	attr += bytes(-len(attr) % 4)
	body = struct.pack("=BBH", 3, 1, 0) + attr  # CTRL_CMD_GETFAMILY
	sock.send(struct.pack("=IHHII", 16 + len(body), 0x10, 1, 1, 0) + body)
	reply = sock.recv(65536)
	if struct.unpack("=H", reply[4:6])[0] == 2:
	    sys.exit("no family " + sys.argv[1])
	groups = {}
	for atype, value in attrs(reply[20:]):
	    if atype == 7:  # CTRL_ATTR_MCAST_GROUPS
	        for _, group in attrs(value):
	            g = dict(attrs(group))
	            groups[g[1].rstrip(b"\0").decode()] = struct.unpack("=I", g[2])[0]
	for want in sys.argv[2:]:
	    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
	    try:
	        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups[want])
	        print(want, "joined")
	    except KeyError:
	        print(want, "missing")
	    except OSError as e:
	        print(want, "refused:", os.strerror(e.errno))
	PY
	fail "the netlink join as uid 65534 did not run: $(cat "$WORK/join.txt")"
expect_in "$WORK/join.txt" "events joined" "as uid 65534 a raw socket joins the events group (the control)"
expect_in "$WORK/join.txt" "trace refused: Operation not permitted" "as uid 65534 the kernel refuses the trace group"
expect_in "$WORK/join.txt" "trace-full refused: Operation not permitted" "as uid 65534 the kernel refuses the trace-full group"

# 10. Nobody traces: a call costs no record.
read -r sent0 lost0 < <(sipalg_stat rtr trace_sent trace_lost) || fail "no trace_sent/trace_lost in sipalg stats -j"
register_and_invite "$WORK/quiet"
read -r sent1 lost1 < <(sipalg_stat rtr trace_sent trace_lost)
[ "$sent1 $lost1" = "$sent0 $lost0" ] || fail "nobody traces, yet trace_sent $sent0 -> $sent1, trace_lost $lost0 -> $lost1"
say "ok: nobody traces: a call leaves trace_sent ($sent1) and trace_lost ($lost1) as they were"
in_rtr conntrack -F >/dev/null 2>&1 # the calls below start afresh (their pinholes open anew)

# The traces, then the captures, then the traffic of 1-5.
trace_start all rtr -j
trace_start text rtr
trace_start full rtr -j --full
trace_start callid rtr -j --call-id "1589215404@$PHONE"
trace_start address rtr -j --address $ROUTER_WAN
trace_start invites rtr -j --method INVITE
trace_start passed rtr -j --passed
trace_start answers rtr -j --status 2xx
trace_start combined rtr -j --method BYE --method REGISTER --address $SERVER6 --address $PHONE
trace_start lanside lan -j
sip_capture_start "$WORK"

register_and_invite "$WORK/udp"   # 1.
compact_invite                    # 2.
tcp_calls                         # 3.
call6 routed6 5060                # 4. routed, then NAT66
in_rtr nft add rule inet nat_router postrouting oifname "rtr-wan" ip6 saddr 2001:db8:1::/64 masquerade
call6 nat6 5062
bad_content_length                # 5.

sip_capture_stop
for t in all text full callid address invites passed answers combined lanside; do
	trace_stop "$t"
done
say "ok: every trace left on SIGINT with status 0 and nothing on stderr"
read -r sent2 lost2 < <(sipalg_stat rtr trace_sent trace_lost)
records=$(wc -l <"$WORK/all.out")
say "trace: $records records; trace_sent $sent1 -> $sent2, trace_lost $lost1 -> $lost2"
[ "$lost2" = "$lost1" ] || fail "records were lost: trace_lost $lost1 -> $lost2"
[ "$sent2" -ge $((sent1 + records)) ] || fail "trace_sent grew by $((sent2 - sent1)), fewer than the $records records printed"
say "ok: nothing lost (trace_lost unchanged), trace_sent counts the records"

# The proof: every record against both captures, byte for byte.
$CHECK "$WORK/lan.pcap" "$WORK/wan.pcap" "$WORK/all.out" >"$WORK/check-all.txt" ||
	fail "the trace does not match the captures:
$(sed 's/^/    | /' "$WORK/check-all.txt")"
say "ok: $(tail -n 1 "$WORK/check-all.txt")"
$CHECK --full "$WORK/lan.pcap" "$WORK/wan.pcap" "$WORK/full.out" >"$WORK/check-full.txt" ||
	fail "the --full trace does not match the captures:
$(sed 's/^/    | /' "$WORK/check-full.txt")"
say "ok: --full: $(tail -n 1 "$WORK/check-full.txt")"
# The check can fail on this very capture: one edit's old bytes changed by
# one character, and one record left out.
$PY - "$WORK/all.out" "$WORK" <<-'PY'
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	edited = next(r for r in recs if r["edits"])
	edited["edits"][0]["old"] = "X" + edited["edits"][0]["old"][1:]
	with open(f"{sys.argv[2]}/tampered-old.out", "w") as f:
	    f.writelines(json.dumps(r) + "\n" for r in recs)
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	with open(f"{sys.argv[2]}/tampered-missing.out", "w") as f:
	    f.writelines(json.dumps(r) + "\n" for r in recs[:-1])
	PY
for what in old:"edit 1: old" missing:"no record for"; do
	if $CHECK "$WORK/lan.pcap" "$WORK/wan.pcap" "$WORK/tampered-${what%%:*}.out" >"$WORK/check-tampered.txt"; then
		fail "a tampered trace (${what%%:*}) passes the check"
	fi
	expect_in "$WORK/check-tampered.txt" "${what#*:}" "a tampered trace (${what%%:*}) fails the check"
done

# What each scenario must have shown (trace_check proved each record true;
# here: that the records are the ones expected).
a="$WORK/all.out"
records_check "$a" 'any(r["start_line"].startswith("REGISTER") and r["connection"]["proto"] == "udp" and r["outcome"] == "rewritten" for r in recs)' \
	"1. the UDP REGISTER rewritten"
records_check "$a" 'any(r["call_id"] == "1589215404@'$PHONE'" and r["start_line"].startswith("INVITE") and r["connection"]["proto"] == "udp" and r["outcome"] == "rewritten" for r in recs)' \
	"1. the UDP INVITE rewritten"
records_check "$a" 'any(r["call_id"] == "1589215404@'$PHONE'" and r["connection"]["proto"] == "udp" and r["cseq_method"] == "INVITE" and any(p["action"] == "open" for p in r["pinholes"]) for r in recs)' \
	"1. the call's media pinhole opened in the record of its INVITE or 200 OK"
records_check "$a" 'sum(r["status"] == 200 and r["direction"] == "reply" and r["outcome"] == "rewritten" for r in recs) >= 4' \
	"1. the 200 OKs rewritten on the way back"
records_check "$a" 'any(r["call_id"] == "compact-1@'$PHONE'" and r["outcome"] == "rewritten" and any(l["after"].startswith("m: <sip:alice@'$ROUTER_WAN'") for l in r["lines"]) for r in recs)' \
	"2. compact headers: the INVITE's m: line rewritten"
records_check "$a" 'any(r["tcp"] and r["tcp"]["msg_off"] > 0 and r["tcp"]["index"] == 1 and r["start_line"].startswith("INVITE") and r["outcome"] == "rewritten" for r in recs)' \
	"3. TCP: the INVITE second in its segment (msg_off > 0, index 1) rewritten"
records_check "$a" 'any(r["tcp"] and r["start_line"].startswith("BYE") and r["outcome"] == "rewritten" for r in recs)' \
	"3. TCP: the BYE in the next segment rewritten"
records_check "$a" 'any(r["tcp"] and r["cseq_method"] == "BYE" and any(p["action"] == "close" for p in r["pinholes"]) for r in recs)' \
	"3. TCP: the call's pinholes closed in the record of the BYE or its 200 OK"
# (A second record for it would be a rebuild: the phone sent some of it
# again before the server's ACK reached the router.)
records_check "$a" 'all(r["outcome"] == "rewritten" and r["applied"] and r["tcp"]["msg_off"] == 0 and r["length"]["before"] == '"$(wc -c <"$WORK/tcp/lan2/000.sip")"' for r in [r for r in recs if r["tcp"] and r["connection"]["original"]["sport"] == 5071 and r["start_line"].startswith("INVITE")] or [None])' \
	"3. TCP: the INVITE cut into segments joined: its record rewritten, at offset 0, the whole INVITE's length"
records_check "$WORK/full.out" 'any(r["tcp"] and r["connection"]["original"]["sport"] == 5071 and r["start_line"].startswith("INVITE") and r["full"]["before"] == open("'"$WORK/tcp/lan2/000.sip"'", encoding="utf-8", newline="").read() for r in recs)' \
	"3. TCP: the joined INVITE's old bytes (--full) are the whole INVITE as the phone sent it"
expect_in "$WORK/check-all.txt" "joined" "3. trace_check found a message joined and proved its record"
$PY - "$VM_DIR" "$WORK/lan.pcap" $PHONE $SERVER >"$WORK/segments.txt" <<-'PY' ||
	# The LAN capture: in how many data segments did the INVITE from port
	# 5071 (the stream's first message) come?
	import ipaddress, sys
	sys.path.insert(0, sys.argv[1])
	import trace_check
	side = trace_check.Side("lan", sys.argv[2])
	flow = ("tcp", ipaddress.ip_address(sys.argv[3]), 5071, ipaddress.ip_address(sys.argv[4]), 5060)
	base, _ = side.streams[flow]
	start, length = side.stream_msgs[flow][0]
	segs = {p.seq for p in side.segments[flow] if p.payload
	        and ((p.seq - base) & 0xFFFFFFFF) < start + length}
	print(f"the INVITE ({length} bytes) came in {len(segs)} segments")
	sys.exit(0 if len(segs) > 1 else 1)
	PY
	fail "3. the INVITE from port 5071 was not cut into segments: $(cat "$WORK/segments.txt")"
say "ok: 3. $(cat "$WORK/segments.txt") on the LAN"
records_check "$a" 'sum(r["connection"]["family"] == "ipv6" and not r["connection"]["nat"] and r["outcome"] == "no_nat" for r in recs) == 2' \
	"4. IPv6 routed: the INVITE and its 200 OK no_nat"
records_check "$a" 'any(r["connection"]["family"] == "ipv6" and r["connection"]["nat"] and r["start_line"].startswith("INVITE") and r["outcome"] == "rewritten" and any("2001:db8:2::1" in e["new"] for e in r["edits"]) for r in recs)' \
	"4. NAT66: the IPv6 INVITE rewritten to the router's address"
for name in nonumber lying; do
	n=$(grep -a -n '^Content-Length' "$WORK/bad-$name.sip" | cut -d: -f1)
	records_check "$a" 'any(r["call_id"] in ("bad-cl-'$name'@'$PHONE'", None) and r["start_line"] == "OPTIONS sip:'$name'@'$SERVER' SIP/2.0" and r["outcome"] == "passed" and r["reason"] == "bad_content_length" and r["reason_line"] == '"$n"' for r in recs)' \
		"5. Content-Length '$name': passed, bad_content_length at line $n"
done
expect_in "$WORK/text.out" "passed: bad_content_length at line" "5. the text trace says why, with the line"
expect_in "$WORK/text.out" "INVITE sip:*43@$SERVER;user=phone SIP/2.0" "the text trace shows the INVITE"

# 6. Each filtered trace printed exactly the unfiltered records that match,
# in the same order. 7. --full: the same records, with the whole messages.
$PY - "$WORK" "1589215404@$PHONE" $ROUTER_WAN $SERVER6 $PHONE >"$WORK/filters.txt" <<-'PY' ||
	import ipaddress, json, sys
	work, call_id, address = sys.argv[1], sys.argv[2], ipaddress.ip_address(sys.argv[3])
	either = {ipaddress.ip_address(a) for a in sys.argv[4:6]}  # "combined": either of them
	def load(name):
	    return [json.loads(l) for l in open(f"{work}/{name}.out") if l.strip()]
	recs = load("all")
	def addresses(r):
	    c = r["connection"]
	    return {ipaddress.ip_address(t[k]) for t in (c["original"], c["reply"]) for k in ("src", "dst")}
	def method(r):
	    return r["cseq_method"] if r["status"] is not None else r["start_line"].split(" ", 1)[0]
	filters = {
	    "callid": lambda r: r["call_id"] == call_id,
	    "address": lambda r: address in addresses(r),
	    "invites": lambda r: method(r) == "INVITE",
	    "passed": lambda r: r["outcome"] == "passed",
	    "answers": lambda r: r["status"] is not None and 200 <= r["status"] <= 299,
	    "combined": lambda r: method(r) in ("BYE", "REGISTER") and bool(addresses(r) & either),
	}
	bad = 0
	for name, keep in filters.items():
	    want = [r for r in recs if keep(r)]
	    got = load(name)
	    same = got == want
	    print(f"{name}: {len(got)} records, {len(want)} of {len(recs)} match{'' if same else '   <-- DIFFERENT'}")
	    bad += not same or not want or len(want) == len(recs) and name != "address"
	full = load("full")
	# The --full group gets a record of its own, built a moment later: a
	# pinhole's remaining time may be a second less.
	def timeless(r):
	    return {**r, "pinholes": [{**p, "timeout": None} for p in r["pinholes"]]}
	recs_timeless = [timeless(r) for r in recs]
	stripped = [timeless({**r, "full": None}) for r in full]
	print(f"full: {len(full)} records, the same as without --full: {stripped == recs_timeless}")
	bad += stripped != recs_timeless
	for n, (f, r) in enumerate(zip(stripped, recs_timeless), 1):
	    for key in sorted(set(f) | set(r)):
	        if f.get(key) != r.get(key):
	            print(f"  record {n} {key}: with --full {json.dumps(f.get(key))[:300]}")
	            print(f"  record {n} {key}: without     {json.dumps(r.get(key))[:300]}")
	invites = load("invites")
	print(f"invites: {sum(r['status'] == 200 for r in invites)} answers among them")
	bad += not any(r["status"] == 200 for r in invites)
	sys.exit(1 if bad else 0)
	PY
	fail "the filtered traces are not the matching records:
$(sed 's/^/    | /' "$WORK/filters.txt")"
sed 's/^/  /' "$WORK/filters.txt"
say "ok: 6. each filter printed exactly the matching records (--method INVITE with its 200s); 7. --full the same records"

# 8. The records are the router's: a trace in the lan namespace got none.
[ ! -s "$WORK/lanside.out" ] || fail "a trace in the lan namespace got records: $(head -c 300 "$WORK/lanside.out")"
say "ok: 8. a trace in the lan namespace saw nothing"
