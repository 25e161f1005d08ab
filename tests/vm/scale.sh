#!/bin/bash
# Scale: a carrier-size router. 20,000 phones (SCALE_PHONES), each on an
# inside address of its own (10.1.0.1 + i, all local to the LAN namespace
# and routed from the router through one next hop, so the router keeps one
# neighbour entry), register through the NAT to one registrar
# (tests/scale/sipfleet), and 2,000 of them (SCALE_CALLS) call out with SDP,
# with the sysctls a carrier router would set (nf_conntrack_max,
# nf_conntrack_expect_max; restored at the end) and sipalg's max_sessions
# and max_pinholes raised to match. Then:
# - the registrar recorded every phone's contact rewritten to the public
#   address and the port its REGISTER came from, and every one of them has
#   its registration pinhole (signalling expectation from the registrar to
#   exactly that port); every call's offer names the public address, its
#   RTP pinhole is there and media flows both ways on every call (the
#   phone's RTP leaving from the public port its offer named);
# - every phone is reachable: the registrar rings all of them from another
#   source port (5070), which only the registration pinhole admits, and
#   every one answers, its Request-URI rewritten to its inside address;
# - `sipalg connections` (text and -j) lists every connection with its
#   registration and call, and `sipalg stats` shows the ledger and the
#   sessions; how long they take is printed, not asserted;
# - the memory the state takes (slab objects of nf_conntrack,
#   nf_conntrack_expect, sipalg_hole, sipalg_host; the kmalloc caches; the
#   module's own allocations) before and after each step is printed, per
#   phone and per call;
# - everything goes with `conntrack -F`: no expectation, no ledger entry,
#   the module unloads and no object of its caches or of
#   nf_conntrack_expect is left.
# Each host's budget is keyed by its inside address, so every phone has
# its own (pinholes-per-host 96, far from reached).
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
FLEET="$TOP/build/scale/sipfleet"
PHONES=${SCALE_PHONES:-20000}
CALLS=${SCALE_CALLS:-2000}
NET=10.1.0.1 # phone i is 10.1.0.1 + i (10.1.0.0/16)
RTP_PACKETS=5
# The table sizes a carrier would give this many phones: a registration
# pinhole per phone, 4 media pinholes per call; conntracks for each phone's
# SIP flow, each call's media and each incoming call; and room besides.
EXPECT_MAX=$((PHONES + 4 * CALLS + 4096))
CT_MAX=$((4 * (PHONES + CALLS) + 16384))
# The ledger counts a pinhole sipalg closed (an answer closes the offer's
# two) until it is pruned, up to 5 s later: twice the table, as the README
# advises.
MAX_PINHOLES=$((2 * EXPECT_MAX))
# Registrations, calls out and calls in (the rings), with room: a power of 2.
MAX_SESSIONS=4096
while [ $MAX_SESSIONS -lt $((2 * PHONES + CALLS + 1024)) ]; do MAX_SESSIONS=$((2 * MAX_SESSIONS)); done
[ -x "$FLEET" ] || fail "$FLEET is not built (make vm-tools)"
# One public address has 64,512 UDP ports for the phones' flows to one
# registrar address and port (and 10.1.0.0/16 holds 65,534 phones).
[ "$PHONES" -le 60000 ] && [ "$CALLS" -le "$PHONES" ] ||
	fail "SCALE_PHONES $PHONES, SCALE_CALLS $CALLS: at most 60000 phones, calls at most as many"

stat() { sipalg_stat rtr "$@"; }
kv() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
elapsed() { echo "$(date +%s.%N) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

sysctls="nf_conntrack_max nf_conntrack_expect_max nf_conntrack_buckets"
saved=""
restore() {
	local status=$? s
	exec 3>&- 4>&- # the fleet's stdin: its end stops it
	for s in $saved; do sysctl -qw "net.netfilter.${s%=*}=${s#*=}"; done
	(exit $status) # cleanup exits with the test's status
	cleanup
}
trap restore EXIT

# ctl FD LOG COMMAND: send a fleet process a command; ANSWER is its reply
# (the next line of LOG that begins with the command's name).
ctl() {
	local fd=$1 log=$2 cmd=$3 timeout=${4:-300} word=${3%% *} n i
	n=$(grep -c "^$word:" "$log")
	echo "$cmd" >&"$fd"
	for ((i = 0; i < timeout * 10; i++)); do
		if [ "$(grep -c "^$word:" "$log")" -gt "$n" ]; then
			ANSWER=$(grep "^$word:" "$log" | tail -n 1)
			return 0
		fi
		sleep 0.1
	done
	fail "no answer to '$cmd' in $timeout s: $(tail -n 3 "$log")"
}

# wait_line LOG PATTERN SECONDS: the first line of LOG matching, in LINE.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		LINE=$(grep -m 1 "$2" "$1") && return 0
		sleep 0.1
	done
	fail "$(basename "$1"): no '$2' in $3 s: $(tail -n 5 "$1")"
}

# mem NAME: objects in use and their size, of the caches that hold the
# state (per-CPU slabs flushed first), the kmalloc caches together, and
# the module's own vmalloc'd memory; saved as $WORK/mem.NAME.
STATE_CACHES="nf_conntrack nf_conntrack_expect sipalg_hole sipalg_host"
mem() {
	local c
	for c in /sys/kernel/slab/*/shrink; do echo 1 >"$c" 2>/dev/null; done
	{
		awk -v list="$STATE_CACHES" '
		BEGIN { n = split(list, l, " "); for (i = 1; i <= n; i++) want[l[i]] = 1 }
		$1 in want { print $1, $2, $4 }
		$1 ~ /^kmalloc-(cg-)?[0-9]+k?$/ { km += $2 * $4 }
		END { print "kmalloc", km + 0, 1 }' /proc/slabinfo
		awk '/\[sipalg\]/ { v += $2 } END { print "vmalloc", v + 0, 1 }' /proc/vmallocinfo
	} >"$WORK/mem.$1"
}
# mem_delta FROM TO PER WHAT: the growth from one snapshot to the next, per
# item (PER of them): cache by cache, their sum, and the kmalloc caches.
mem_delta() {
	awk -v per="$3" -v what="$4" '
	FNR == NR { n0[$1] = $2; next }
	$1 == "vmalloc" { next }
	$1 == "kmalloc" { km = $2 - n0[$1]; next }
	{
		d = $2 - n0[$1]
		total += d * $3
		if (d) parts = parts sprintf(" %s %+.2f x %d B,", $1, d / per, $3)
	}
	END {
		printf "    per %s:%s\n      = %d B in these caches (%d KiB for %d); kmalloc caches %+d B\n",
			what, parts == "" ? " nothing" : parts, total / per, total / 1024, per, km / per
	}' "$WORK/mem.$1" "$WORK/mem.$2"
}

# The expectations, a line each: "class src dst dport".
expect_list() {
	in_rtr conntrack -L expect -f ipv4 2>/dev/null | awk '{
		delete f
		for (i = 1; i <= NF; i++) {
			k = substr($i, 1, index($i, "=") - 1)
			if (k != "" && !(k in f)) f[k] = substr($i, index($i, "=") + 1)
		}
		print f["class"], f["src"], f["dst"], f["dport"], f["master-src"]
	}'
}
# have_pinholes FILE CLASS SRC: of the "pN IP:PORT" lines of FILE, how many
# have an expectation of CLASS from SRC to IP:PORT, and the first missing.
have_pinholes() {
	awk -v cls="$2" -v src="$3" '
	FNR == NR { if ($1 == cls && $2 == src) have[$3 ":" $4] = 1; next }
	{ if ($2 in have) ok++; else if (miss++ < 5) first = first " " $1 "@" $2 }
	END { print ok + 0, miss + 0, first }' "$WORK/expect.list" "$1"
}

topology_up
# The phones: every address of 10.1.0.0/16 is local to the LAN namespace;
# the router reaches them all through 192.168.0.10 and masquerades them.
ip -n lan route add local 10.1.0.0/16 dev lo
in_rtr ip route add 10.1.0.0/16 via $PHONE
in_rtr nft add rule inet nat_router postrouting oifname rtr-wan ip saddr 10.1.0.0/16 masquerade

for s in $sysctls; do saved="$saved $s=$(sysctl -n net.netfilter.$s)"; done
sysctl -qw net.netfilter.nf_conntrack_max=$CT_MAX net.netfilter.nf_conntrack_expect_max=$EXPECT_MAX
buckets=$(sysctl -n net.netfilter.nf_conntrack_buckets)
[ "$buckets" -ge $((CT_MAX / 4)) ] || sysctl -qw net.netfilter.nf_conntrack_buckets=$((CT_MAX / 4))
say "sysctls: nf_conntrack_max $CT_MAX, nf_conntrack_expect_max $EXPECT_MAX," \
	"nf_conntrack_buckets $(sysctl -n net.netfilter.nf_conntrack_buckets)," \
	"expect_hashsize $(cat /sys/module/nf_conntrack/parameters/expect_hashsize) (fixed at load)"

expect_slab0=$(expect_slab_objects)
ct_slab0=$(slab_objects nf_conntrack)
mem start
insmod "$ko" max_sessions=$MAX_SESSIONS max_pinholes=$MAX_PINHOLES || fail "insmod failed"
mem loaded
say "module loaded: max_sessions $MAX_SESSIONS, max_pinholes $MAX_PINHOLES;" \
	"$(awk '$1 == "sipalg" { print $2 }' /proc/modules) B of code and data," \
	"$(awk '$1 == "vmalloc" { print int($2 / 1024) }' "$WORK/mem.loaded") KiB allocated at load" \
	"(the sessions table, the ledger's hash)"

# ---- the fleet: server on the WAN, phones on the LAN ----
mkfifo "$WORK/server.in" "$WORK/phones.in"
in_wan "$FLEET" server --bind $SERVER --public $ROUTER_WAN --calls "$CALLS" \
	<"$WORK/server.in" >"$WORK/server.log" 2>&1 &
exec 3>"$WORK/server.in"
wait_line "$WORK/server.log" '^ready' 60
in_lan "$FLEET" phones --net $NET --count "$PHONES" --registrar $SERVER:5060 --calls "$CALLS" \
	--wait-start <"$WORK/phones.in" >"$WORK/phones.log" 2>&1 &
exec 4>"$WORK/phones.in"
wait_line "$WORK/phones.log" '^bound' 300
say "$PHONES phone sockets and $CALLS media sockets bound"
mem bound

# ---- registrations ----
t=$(date +%s.%N)
echo start >&4
wait_line "$WORK/phones.log" '^registered:' 900
say "phones: $LINE (in $(elapsed "$t") s)"
[ "$(kv registered "$LINE")" = "$PHONES" ] || fail "not every phone registered: $LINE"
mem registered
ctl 3 "$WORK/server.log" "dump $WORK/server"
ctl 3 "$WORK/server.log" status
say "server: $ANSWER"
[ "$(kv contacts "$ANSWER")" = "$PHONES" ] && [ "$(kv contacts_public "$ANSWER")" = "$PHONES" ] &&
	[ "$(kv contacts_match_source "$ANSWER")" = "$PHONES" ] ||
	fail "the registrar did not get $PHONES contacts naming $ROUTER_WAN and the REGISTER's port"
say "ok: $PHONES contacts rewritten to $ROUTER_WAN and the port each REGISTER came from"
t=$(date +%s.%N)
expect_list >"$WORK/expect.list"
say "conntrack -L expect: $(wc -l <"$WORK/expect.list") expectations in $(elapsed "$t") s"
read -r ok miss first < <(have_pinholes "$WORK/server.contacts" 0 $SERVER)
[ "$miss" -eq 0 ] || fail "$miss of $PHONES registered phones have no registration pinhole, e.g.$first"
signalling=$(awk '$1 == 0' "$WORK/expect.list" | wc -l)
[ "$signalling" -eq "$PHONES" ] || fail "$signalling registration pinholes for $PHONES phones"
say "ok: every phone has its registration pinhole from $SERVER to its contact, $PHONES in all" \
	"(pinholes failed so far: $(stat pinholes_failed))"

# ---- calls ----
t=$(date +%s.%N)
echo call >&4
wait_line "$WORK/phones.log" '^ready' 900
say "phones: $LINE (in $(elapsed "$t") s)"
[ "$(kv answered "$LINE")" = "$CALLS" ] || fail "not every call was answered: $LINE"
# The pinholes the answers replaced stay in the ledger (and their objects
# with them) until its next prune, at most 5 s later.
sleep 6
mem calling
ctl 3 "$WORK/server.log" "dump $WORK/server"
ctl 3 "$WORK/server.log" status
[ "$(kv calls "$ANSWER")" = "$CALLS" ] && [ "$(kv offers_public "$ANSWER")" = "$CALLS" ] &&
	[ "$(kv acks "$ANSWER")" -ge "$CALLS" ] ||
	fail "the callee did not get $CALLS offers naming $ROUTER_WAN and their ACKs: $ANSWER"
say "ok: $CALLS offers rewritten to $ROUTER_WAN, answered and ACKed"
expect_list >"$WORK/expect.list"
t=$(date +%s.%N)
in_rtr "$CLI" stats -j >"$WORK/stats.json" || fail "sipalg stats failed"
say "sipalg stats: $(elapsed "$t") s"
read -r pinholes hosts host_max exps sessions evicted refused < <(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["pinholes"], d["pinhole_hosts"], d["pinholes_host_max"], d["expectations"],
      d["sessions"], d["sessions_evicted"], d["pinholes_failed"])' "$WORK/stats.json")
say "    pinholes $pinholes of $hosts hosts (largest $host_max), expectations $exps," \
	"sessions $sessions (evicted $evicted), pinholes failed $refused"
[ "$hosts" -eq "$PHONES" ] || fail "the ledger has $hosts hosts for $PHONES phones"
[ "$sessions" -eq $((PHONES + CALLS)) ] && [ "$evicted" -eq 0 ] ||
	fail "sessions: $sessions (want $PHONES registrations + $CALLS calls), $evicted evicted"
if [ "$refused" -ne 0 ]; then
	say "counters: $(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % kv for kv in d.items() if kv[1]))' "$WORK/stats.json")"
	say "calls with fewer than 4 media pinholes: $(awk '$1 != 0 { n[$5]++ }
		END { for (m in n) if (n[m] < 4) printf "%s:%d ", m, n[m] }' "$WORK/expect.list")"
	fail "$refused pinholes failed"
fi

distinct=$(awk '{ print $2 }' "$WORK/server.calls" | sort -u | wc -l)
[ "$distinct" -eq "$CALLS" ] ||
	fail "the $CALLS offers name $distinct public media addresses, not one each (a pinhole failed?)"
read -r ok miss first < <(have_pinholes "$WORK/server.calls" 1 $SERVER)
[ "$miss" -eq 0 ] || fail "$miss of $CALLS calls have no RTP pinhole from $SERVER, e.g.$first"
media=$(awk '$1 != 0' "$WORK/expect.list" | wc -l)
say "ok: every call has its RTP pinhole from $SERVER to the offer's public port:" \
	"$media media expectations for $CALLS calls"

# count_connections TAG: time both dumps; CONNS, REGS, CALLS_OUT, CALLS_IN.
count_connections() {
	local t text json
	t=$(date +%s.%N)
	in_rtr "$CLI" connections >"$WORK/conns.$1.txt" || fail "sipalg connections failed"
	text=$(elapsed "$t")
	t=$(date +%s.%N)
	in_rtr "$CLI" connections -j >"$WORK/conns.$1.json" || fail "sipalg connections -j failed"
	json=$(elapsed "$t")
	read -r CONNS REGS CALLS_OUT CALLS_IN < <(/usr/bin/python3 -c '
import json, sys
conns = json.load(open(sys.argv[1]))
s = [x for c in conns for x in c["sessions"]]
print(len(conns), sum(x["kind"] == "registration" for x in s),
      sum(x["kind"] == "call" and x["outgoing"] for x in s),
      sum(x["kind"] == "call" and not x["outgoing"] for x in s))' "$WORK/conns.$1.json")
	TEXT_CONNS=$(grep -cE '^(udp|tcp) ' "$WORK/conns.$1.txt")
	say "sipalg connections: $TEXT_CONNS connections in $text s" \
		"($(wc -c <"$WORK/conns.$1.txt") bytes); -j: $CONNS in $json s" \
		"($(wc -c <"$WORK/conns.$1.json") bytes): $REGS registrations, $CALLS_OUT calls out, $CALLS_IN in"
}
count_connections calling
[ "$CONNS" -eq "$PHONES" ] && [ "$TEXT_CONNS" -eq "$PHONES" ] ||
	fail "the dump lists $TEXT_CONNS (-j: $CONNS) connections, want $PHONES"
[ "$REGS" -eq "$PHONES" ] && [ "$CALLS_OUT" -eq "$CALLS" ] ||
	fail "the dump lists $REGS registrations and $CALLS_OUT calls, want $PHONES and $CALLS"
say "ok: the dump lists every connection, registration and call"

# ---- media both ways on every call ----
t=$(date +%s.%N)
ctl 3 "$WORK/server.log" "rtp $RTP_PACKETS"
ctl 4 "$WORK/phones.log" "rtp $RTP_PACKETS"
sleep 1
ctl 3 "$WORK/server.log" status
server=$ANSWER
ctl 4 "$WORK/phones.log" status
phones=$ANSWER
say "RTP: $RTP_PACKETS packets each way on each call in $(elapsed "$t") s:" \
	"phones received $(kv rtp_received "$phones") on $(kv calls_with_rtp "$phones") calls," \
	"server $(kv rtp_received "$server") on $(kv calls_with_rtp "$server")" \
	"($(kv rtp_wrong_source "$server") from another address than the offer's)"
[ "$(kv calls_with_rtp "$phones")" = "$CALLS" ] ||
	fail "RTP did not reach every calling phone: $phones"
[ "$(kv calls_with_rtp "$server")" = "$CALLS" ] && [ "$(kv rtp_wrong_source "$server")" = 0 ] ||
	fail "RTP from the phones did not reach the server from their public ports: $server"
say "ok: media both ways on all $CALLS calls"
sleep 6
mem media

# ---- every phone is reachable: ring them all from port 5070 ----
t=$(date +%s.%N)
ctl 3 "$WORK/server.log" ring 900
say "$ANSWER (in $(elapsed "$t") s)"
[ "$(kv answered "$ANSWER")" = "$PHONES" ] || fail "not every phone answered: $ANSWER"
ctl 4 "$WORK/phones.log" status
say "phones: $ANSWER"
[ "$(kv rung_phones "$ANSWER")" = "$PHONES" ] || fail "not every phone was rung: $ANSWER"
[ "$(kv ruri_inside "$ANSWER")" = "$(kv rings "$ANSWER")" ] ||
	fail "a ring's Request-URI did not name the phone's inside address: $ANSWER"
say "ok: all $PHONES phones rung through their registration pinholes and answered"
mem rung
count_connections rung
[ "$CONNS" -eq $((2 * PHONES)) ] && [ "$CALLS_IN" -eq "$PHONES" ] ||
	fail "after the rings the dump lists $CONNS connections and $CALLS_IN calls in"

say "memory (slab objects in use; per-CPU slabs flushed):"
mem_delta start loaded 1 "module load"
mem_delta loaded bound "$PHONES" "phone socket (the test's own)"
mem_delta bound registered "$PHONES" "registered phone"
mem_delta registered calling "$CALLS" "call set up"
mem_delta calling media "$CALLS" "call once media flows"
mem_delta media rung "$PHONES" "incoming call (answered)"
exec 3>&- 4>&-
wait

# ---- nothing left ----
ledger_emptied "$expect_slab0"
ct_slab=$(slab_objects nf_conntrack "$ct_slab0")
[ "$ct_slab" -le "$ct_slab0" ] || fail "nf_conntrack objects: $ct_slab0 before, $ct_slab after"
say "ok: nf_conntrack objects $ct_slab0 before, $ct_slab after"
